"""Warning signals: rule files refused with file and line; over a synthetic lake each signal
means what it says, a stale feed is reported rather than passed, and PySpark agrees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from minzheng.cli import app
from minzheng.discovery import signals
from minzheng.policy.backends import connect
from minzheng.policy.lake import open_feeds

DATE = dt.date(2020, 12, 31)
RULES = signals.RULES.read_text(encoding="utf-8")


def test_the_platforms_rules_load():
    rules = signals.load_signals()
    assert {s.name for s in rules.signals} >= {"earner_died", "medical_spending", "old_alone"}
    assert abs(sum(s.weight for s in rules.signals) - 1) < 1e-9


@pytest.mark.parametrize(
    ("old", "new", "code", "anchor"),
    [
        ("feed: deaths", "feed: horoscopes", "unknown_feed", None),
        ("value: oop_amount", "value: oop", "unknown_column", None),
        ("threshold: 30000", "threshold: -1", "bad_number", None),
        ("weight: 0.2\n", "weight: 0.5\n", "weights_not_one", "signals:"),
        ("threshold: 0.4", "threshold: 1.5", "bad_share", None),
        ("base_feed: si_wages", "base_feed: payslips", "unknown_feed", None),
        ("base_value: monthly_wage", "base_value: bonus", "unknown_column", None),
        ("before: wage_before", "before: salary", "unknown_column", None),
        ('op: "<="', 'op: "~"', "bad_operator", None),
        ("value: [deceased, missing, prison]}", "value: [deceased, lost]}", "unknown_code", None),
        ("requires: [main_earner]", "requires: [rich_uncle]", "unknown_requirement", None),
        (
            "lookback_months: 6\n    requires: [main",
            "lookback_months: 0\n    requires: [main",
            "no_lookback",
            "  - name: earner_died",
        ),
    ],
)
def test_a_bad_rule_file_is_refused_naming_the_file_and_line(tmp_path, old, new, code, anchor):
    assert old in RULES
    text = RULES.replace(old, new, 1)
    line = text[: text.index(anchor or new)].count("\n") + 1
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(signals.SignalError) as caught:
        signals.load_signals(path)
    assert caught.value.code == code, caught.value
    assert f"{path} line {line}:" in str(caught.value)


def test_the_look_back_window():
    assert signals.window_start(dt.date(2020, 12, 31), 6) == dt.date(2020, 7, 1)
    assert signals.window_start(dt.date(2020, 12, 31), 12) == dt.date(2020, 1, 1)
    assert signals.window_start(dt.date(2021, 3, 31), 1) == dt.date(2021, 3, 1)


@pytest.fixture(scope="module")
def evaluated(small_lake, tmp_path_factory):
    out = tmp_path_factory.mktemp("signals") / "out"
    result = signals.run(connect("duckdb"), small_lake, DATE, out)
    rows = duckdb.sql(f"SELECT * FROM '{out}/part-*.parquet' ORDER BY ALL").fetchall()
    return out, result, rows


def _lake(small_lake: Path, feed: str) -> str:
    return f"read_parquet('{small_lake}/{feed}/*/*.parquet', hive_partitioning = true)"


@pytest.mark.lake
def test_each_signal_means_what_it_says(evaluated, small_lake):
    out, result, _rows = evaluated
    assert result["not_evaluated"] == {} and result["counts"]["old_alone"] > 0
    con = duckdb.connect()
    view = f"'{out}/part-*.parquet'"
    # 12 months of medical spending, summed again here, reach the threshold
    medical = con.sql(
        f"SELECT s.id_number, s.amount, (SELECT sum(oop_amount) FROM {_lake(small_lake, 'medical_oop')} m "
        "WHERE m.id_number = s.id_number AND m.month > DATE '2019-12-31') "
        f"FROM {view} s WHERE signal = 'medical_spending'"
    ).fetchall()
    assert medical and all(a == total and a >= 30000 for _i, a, total in medical)
    # the old living alone: 80 or older on the date, the only living member of the household
    alone = con.sql(
        f"SELECT p.birth_date, (SELECT count(*) FROM {_lake(small_lake, 'hukou_persons')} q "
        f"WHERE q.household_id = s.household_id AND q.id_number NOT IN "
        f"(SELECT id_number FROM {_lake(small_lake, 'deaths')})) "
        f"FROM {view} s JOIN {_lake(small_lake, 'hukou_persons')} p USING (id_number) "
        "WHERE signal = 'old_alone'"
    ).fetchall()
    assert alone and all(born <= dt.date(1940, 12, 31) and n == 1 for born, n in alone)
    # the earner who died: in the window, and the household's highest wage
    died = con.sql(
        f"SELECT d.death_date FROM {view} s JOIN {_lake(small_lake, 'deaths')} d USING (id_number) "
        "WHERE signal = 'earner_died'"
    ).fetchall()
    assert all(dt.date(2020, 7, 1) <= when <= DATE for (when,) in died)
    # a fall of wages: the living members' losses in six months, at least 40 % of what the
    # household had (the losses and its wages now), summed again here
    living = (
        f"SELECT p.id_number, p.household_id FROM {_lake(small_lake, 'hukou_persons')} p "
        f"WHERE p.id_number NOT IN (SELECT id_number FROM {_lake(small_lake, 'deaths')})"
    )
    falls = con.sql(
        f"WITH m AS ({living}), "
        f"lost AS (SELECT m.household_id, sum(c.wage_before - c.wage_after) AS lost "
        f"FROM {_lake(small_lake, 'wage_changes')} c JOIN m USING (id_number) "
        "WHERE c.change_date >= DATE '2020-07-01' GROUP BY ALL), "
        f"now AS (SELECT m.household_id, sum(w.monthly_wage) AS now "
        f"FROM {_lake(small_lake, 'si_wages')} w JOIN m USING (id_number) GROUP BY ALL) "
        "SELECT s.household_id, s.amount, lost.lost, coalesce(now.now, 0) "
        f"FROM {view} s JOIN lost USING (household_id) LEFT JOIN now USING (household_id) "
        "WHERE s.signal = 'wage_fall'"
    ).fetchall()
    assert len(falls) == result["counts"]["wage_fall"] > 0
    assert all(a == lost and lost >= Decimal("0.4") * (lost + now) for _h, a, lost, now in falls)
    # worse after an exit or a rejection: another event of the household dated later
    worse = con.sql(
        f"SELECT s.when, (SELECT max(o.when) FROM {view} o WHERE o.household_id = s.household_id "
        "AND o.signal IN ('earner_died', 'medical_spending', 'unemployed_low_income', "
        "'new_severe_disability', 'wage_fall')) "
        f"FROM {view} s WHERE s.signal = 'exit_worsened'"
    ).fetchall()
    assert worse and all(dt.date(2020, 1, 1) <= when < later for when, later in worse)


@pytest.mark.lake
def test_each_signal_finds_the_planted_households(evaluated, small_lake):
    """The synthetic province's truth lists the households it put in each situation; every
    signal finds them, and only them (its feeds record every planted event)."""
    out, _result, _rows = evaluated
    scored = signals.score(out, small_lake / "truth")
    assert [r["signal"] for r in scored] == [s.name for s in signals.load_signals().signals]
    for r in scored:
        assert r["planted"] > 0, r
        assert r["recall"] == 1 and r["precision"] == 1, r


@pytest.mark.lake
def test_a_stale_feed_is_reported_not_passed(small_lake, tmp_path):
    later = dt.date(2021, 12, 31)  # every feed is a year old then
    result = signals.run(connect("duckdb"), small_lake, later, tmp_path / "out")
    assert set(result["not_evaluated"]) == {s.name for s in signals.load_signals().signals}
    assert all(why.startswith("stale: 2020-12-31") for why in result["not_evaluated"].values())
    con = connect("duckdb")
    feeds = open_feeds(con, small_lake, extra=signals.feeds_of(signals.load_signals()))
    del feeds["medical_oop"]
    missing = signals.availability(feeds, signals.load_signals(), DATE, con)
    assert missing == {"medical_spending": "missing"}


@pytest.mark.lake
def test_a_lake_without_a_signal_feed_names_the_signals_it_could_not_evaluate(small_lake, tmp_path):
    lake = tmp_path / "older"
    lake.mkdir()
    for item in small_lake.iterdir():
        if item.name != "wage_changes":
            (lake / item.name).symlink_to(item)
    result = signals.run(connect("duckdb"), lake, DATE, tmp_path / "out")
    assert result["not_evaluated"] == {"wage_fall": "missing"}
    assert "wage_fall" not in result["counts"] and result["counts"]["exit_worsened"] >= 0


@pytest.mark.lake
def test_pyspark_gives_the_same_signals(evaluated, small_lake, tmp_path):
    _out, _result, rows = evaluated
    signals.run(connect("pyspark"), small_lake, DATE, tmp_path / "spark")
    spark_rows = duckdb.sql(
        f"SELECT * FROM '{tmp_path}/spark/part-*.parquet' ORDER BY ALL"
    ).fetchall()
    assert spark_rows == rows


@pytest.mark.lake
def test_the_cli_evaluates_and_names_what_it_could_not(small_lake, tmp_path):
    runner = CliRunner()
    args = ["discover", "signals", "--out", str(tmp_path / "s"), "--lake", str(small_lake)]
    done = runner.invoke(app, [*args, "--date", "2020-12-31"])
    assert done.exit_code == 0 and "old_alone" in done.output, done.output
    truth = ["--truth", str(small_lake / "truth")]
    scored = runner.invoke(app, ["discover", "score", "--signals", str(tmp_path / "s"), *truth])
    assert scored.exit_code == 0, scored.output
    assert "| wage_fall | 家庭工资收入大幅下降 |" in scored.output
    assert runner.invoke(app, ["discover", "score", *truth]).exit_code != 0  # nothing to score
    stale = runner.invoke(app, [*args, "--date", "2021-12-31"])
    assert stale.exit_code == 0 and "not evaluated (stale: 2020-12-31)" in stale.output
