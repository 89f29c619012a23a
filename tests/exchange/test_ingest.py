"""Loading department deliveries: every row accepted or quarantined with its reasons, the
same file twice changes nothing, a crash leaves the previous state, bad files are refused
with the file, line and column named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from minzheng.accounts.permissions import PermissionRefused
from minzheng.audit.models import AuditEvent
from minzheng.cli import app
from minzheng.exchange import services
from minzheng.exchange.ingest import IngestError
from minzheng.exchange.models import Delivery

from ..conftest import _user
from .conftest import GOOD_IDS

AS_OF = dt.date(2020, 12, 31)
# 人社's own headers, in Chinese, and its own codes for "insured"
MAPPING = """
feeds:
  si_wages:
    columns:
      公民身份号码: id_number
      单位编码: employer_code
      月工资（元）: monthly_wage
      参加工作日期: employment_start
      是否参保: insured
      区县代码: county
    values:
      insured: {参保: "true", 未参保: "false"}
"""
HEADER = "公民身份号码,单位编码,月工资（元）,参加工作日期,是否参保,区县代码"
ROWS = [
    "11010519491231002X,E001,3500.00,2015-03-01,参保,330102",  # good
    "330102198001010018,E002,1200,2016/04/01,未参保,330102",  # good (another date format)
    "330102198001010019,E003,1000,2016-04-01,参保,330102",  # bad check digit
    "33010219900202001X,E004,-5,2016-04-01,参保,330102",  # negative amount
    "33010219900202001X,E005,100,2016-04-01,也许,330102",  # unknown code
    "33010219900202001X,E006,abc,2016-04-01,参保,330102",  # wrong type
    "33010219900202001X,E007,100,2031-01-01,参保,330102",  # date after the as-of date
    "33010219900202001X,E008,100,2016-04-01,参保,999999",  # unknown county
    "11010519491231002X,E001,3600.00,2015-03-01,参保,330102",  # same key, other values
    "33010219900202001X,E009,200,2016-04-01,参保,330102",  # good
    "33010219900202001X,E009,200,2016-04-01,参保,330102",  # identical duplicate
    "short,line",  # not a row
]
EXPECTED_REASONS = {
    4: "bad_id_number",
    5: "below_minimum",
    6: "bad_bool",
    7: "bad_number",
    8: "date_out_of_range",
    9: "unknown_county",
    2: "duplicate_conflict",
    10: "duplicate_conflict",
    12: "duplicate",
    13: "malformed_line",
}


@pytest.fixture
def files(tmp_path):
    mapping = tmp_path / "renshe.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    gbk = tmp_path / "人社工资_202012.csv"
    gbk.write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("gbk"))
    return {"mapping": mapping, "gbk": gbk}


def reasons_by_line(delivery: Delivery) -> dict[int, set[str]]:
    table = pq.read_table(services.store_path(delivery) / "quarantine.parquet")
    return {r["line"]: {x["code"] for x in r["reasons"]} for r in table.to_pylist()}


def load(user, path, **kw):
    kw.setdefault("feed", "si_wages")
    kw.setdefault("as_of", AS_OF)
    return services.load_delivery(user=user, path=path, **kw)


def test_a_gbk_csv_with_chinese_headers_loads_with_every_row_accounted(store, steward, files):
    delivery, new = load(steward, files["gbk"], mapping=files["mapping"])
    assert new and delivery.encoding == "gb18030"
    assert delivery.rows == len(ROWS) == delivery.accepted + delivery.quarantined
    found = reasons_by_line(delivery)
    assert set(found) == set(EXPECTED_REASONS)
    for line, reason in EXPECTED_REASONS.items():
        assert reason in found[line], (line, found[line])
    accepted = pq.read_table(services.store_path(delivery) / "accepted")
    assert accepted.num_rows == 2
    assert accepted.schema.field("monthly_wage").type == pa.decimal128(14, 2)
    rows = {r["employer_code"]: r for r in accepted.to_pylist()}
    assert rows["E002"]["insured"] is False and rows["E002"]["employment_start"] == dt.date(
        2016, 4, 1
    )
    assert {r["department"] for r in rows.values()} == {"人社"}
    assert {r["snapshot_date"] for r in rows.values()} == {AS_OF}
    event = AuditEvent.objects.get(action="feed_loaded")
    assert event.detail["quarantined"] == delivery.quarantined


def test_the_same_file_twice_changes_nothing(store, steward, files):
    first, _ = load(steward, files["gbk"], mapping=files["mapping"])
    again, new = load(steward, files["gbk"], mapping=files["mapping"])
    assert not new and again.pk == first.pk and Delivery.objects.count() == 1


def test_excel_and_parquet_deliveries_with_bad_rows(store, steward, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id_number", "death_date", "county"])
    sheet.append([GOOD_IDS[0], dt.datetime(2020, 5, 1), "330102"])
    sheet.append([GOOD_IDS[1], "not a date", "330102"])
    # An ID number typed as a number loses its last digits in Excel: quarantined, not guessed;
    # a county code as a number is still the code.
    sheet.append([330102198001010018, dt.datetime(2020, 6, 1), 330102])
    sheet.append([GOOD_IDS[2], dt.datetime(2020, 6, 2), 330102])
    sheet.append(["", None, "330102"])
    sheet.cell(row=sheet.max_row + 4, column=1, value=" ")  # formatting left below the data
    xlsx = tmp_path / "deaths.xlsx"
    book.save(xlsx)
    delivery, _ = load(steward, xlsx, feed="deaths")
    assert (delivery.rows, delivery.accepted, delivery.quarantined) == (5, 2, 3)
    assert reasons_by_line(delivery) == {3: {"bad_date"}, 4: {"bad_id_number"}, 6: {"missing"}}

    parquet = tmp_path / "deaths.parquet"
    pq.write_table(
        pa.table(
            {
                "id_number": [GOOD_IDS[2], "123"],
                "death_date": [dt.date(2020, 7, 1), dt.date(2020, 7, 2)],
                "county": ["330102", "330102"],
            }
        ),
        parquet,
    )
    delivery, _ = load(steward, parquet, feed="deaths")
    assert (delivery.accepted, delivery.quarantined) == (1, 1)
    assert reasons_by_line(delivery) == {2: {"bad_id_number"}}


def test_a_typed_parquet_delivery_is_judged_as_its_text_would_be(store, steward, tmp_path):
    """Typed Parquet columns are checked as stored (no text parse): the same rows as typed
    Parquet and as CSV text give the same accepted rows and the same reasons."""
    ids = [GOOD_IDS[0], GOOD_IDS[1], None, GOOD_IDS[2], "330102198001010019", GOOD_IDS[1]]
    wages = ["3500.00", "-5.00", "100.00", "200.50", "100.00", "100.00"]
    starts = [dt.date(2015, 3, 1), dt.date(2016, 4, 1), dt.date(2016, 4, 1)]
    starts += [dt.date(2031, 1, 1), dt.date(2016, 4, 1), dt.date(1899, 12, 31)]
    typed = pa.table(
        {
            "id_number": pa.array(ids, pa.string()),
            "employer_code": [f"E{i}" for i in range(6)],
            "monthly_wage": pa.array([Decimal(w) for w in wages], pa.decimal128(12, 2)),
            "employment_start": pa.array(starts, pa.date32()),
            "insured": [True, True, False, None, True, True],
            "county": ["330102"] * 6,
        }
    )
    parquet = tmp_path / "wages.parquet"
    pq.write_table(typed, parquet)
    text = tmp_path / "wages.csv"
    text.write_text(
        typed.to_pandas().to_csv(index=False, na_rep="", date_format="%Y-%m-%d"),
        encoding="utf-8",
    )
    from_parquet, _ = load(steward, parquet)
    from_text, _ = load(steward, text, backfill=True)
    # (a Parquet row's line is its row number; a CSV's counts the header line too)
    assert reasons_by_line(from_parquet) == {
        2: {"below_minimum"},
        3: {"missing"},
        4: {"date_out_of_range", "missing"},
        5: {"bad_id_number"},
        6: {"date_out_of_range"},
    }
    assert reasons_by_line(from_text) == {
        line + 1: r for line, r in reasons_by_line(from_parquet).items()
    }
    assert (from_parquet.accepted, from_parquet.quarantined) == (1, 5)
    read = lambda d: pq.read_table(services.store_path(d) / "accepted").drop_columns(["county"])  # noqa: E731
    assert read(from_parquet).to_pylist() == read(from_text).to_pylist()


@pytest.mark.parametrize(
    ("content", "name", "kw", "code", "named"),
    [
        (b"", "empty.csv", {}, "empty_file", "empty.csv"),
        (b"id_number,death_date,county\n", "header.csv", {}, "no_rows", "header.csv"),
        (b"id_number,\xff\xfe\xfd,county\n1,2,3\n", "bin.csv", {}, "bad_encoding", "line"),
        (b"id_number,when,county\n1,2,3\n", "hdr.csv", {}, "unknown_header", "when"),
        (b"id_number,county\n1,330102\n", "miss.csv", {}, "missing_columns", "death_date"),
        (b"x", "deaths.json", {}, "unknown_format", ".json"),
        (b"id_number,death_date\n1,2\n", "nocounty.csv", {}, "no_county", "--county"),
        (b"a\n1\n", "a.csv", {"feed": "nonsense"}, "unknown_feed", "nonsense"),
        (b"a\n1\n", "a.csv", {"as_of": dt.date(2999, 1, 1)}, "future_as_of", "2999"),
        (b"a\n1\n", "a.csv", {"encoding": "klingon"}, "unknown_encoding", "klingon"),
    ],
)
def test_bad_files_are_refused_naming_what_is_wrong(
    store, steward, tmp_path, content, name, kw, code, named
):
    path = tmp_path / name
    path.write_bytes(content)
    kw.setdefault("feed", "deaths")
    with pytest.raises(IngestError) as caught:
        load(steward, path, **kw)
    assert caught.value.code == code
    assert named in str(caught.value)
    assert Delivery.objects.count() == 0


def test_an_older_as_of_date_needs_backfill(store, steward, tmp_path):
    for day, rows in ((dt.date(2020, 12, 31), GOOD_IDS[:1]), (dt.date(2020, 6, 30), GOOD_IDS[1:2])):
        path = tmp_path / f"deaths-{day}.csv"
        path.write_text(
            "id_number,death_date,county\n" + "".join(f"{i},2020-01-01,330102\n" for i in rows),
            encoding="utf-8",
        )
        if day.month == 6:
            with pytest.raises(IngestError) as caught:
                load(steward, path, feed="deaths", as_of=day)
            assert caught.value.code == "older_than_last"
            delivery, new = load(steward, path, feed="deaths", as_of=day, backfill=True)
            assert new and delivery.backfill
        else:
            load(steward, path, feed="deaths", as_of=day)


def test_a_crash_mid_load_leaves_the_previous_state(store, steward, files, monkeypatch):
    import minzheng.exchange.ingest as ingest

    real = ingest.validate

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # both files are written into the hidden folder …
        raise OSError("disk full")  # … and the process dies before it is moved into place

    monkeypatch.setattr(ingest, "validate", crash)
    with pytest.raises(OSError):
        load(steward, files["gbk"], mapping=files["mapping"])
    assert Delivery.objects.count() == 0
    deliveries = Path(store) / "deliveries" / "si_wages"
    assert not deliveries.exists() or list(deliveries.iterdir()) == []
    monkeypatch.setattr(ingest, "validate", real)
    delivery, new = load(steward, files["gbk"], mapping=files["mapping"])
    assert new and delivery.rows == len(ROWS)


def test_the_quarantine_is_listed_masked_corrected_and_reloaded(store, steward, files, tmp_path):
    delivery, _ = load(steward, files["gbk"], mapping=files["mapping"])
    before = services.outstanding(delivery)
    assert len(before) == delivery.quarantined
    shown = services.masked_reasons("si_wages", before[0]["reasons"])
    assert "330102198001010019" not in str(shown)  # the ID number is masked

    out = tmp_path / "fix.csv"
    assert services.export_quarantine(steward, delivery, out) == delivery.quarantined
    text = out.read_text(encoding="utf-8-sig")
    fixed = text.replace("330102198001010019,E003", "330102198001010018,E003")
    out.write_text(fixed, encoding="utf-8-sig")
    correction, new = load(steward, out, mapping=files["mapping"], corrects=delivery.pk)
    assert new and correction.corrects_id == delivery.pk
    assert 4 in correction.resolves
    after = services.outstanding(delivery)
    assert 4 not in {r["line"] for r in after}
    assert len(after) == len(before) - len(correction.resolves)
    assert AuditEvent.objects.filter(action="quarantine_exported").count() == 1


def test_only_a_data_steward_loads_feeds(store, caseworker, files):
    with pytest.raises(PermissionRefused):
        load(caseworker, files["gbk"], mapping=files["mapping"])
    assert AuditEvent.objects.filter(outcome="denied").exists()
    assert Delivery.objects.count() == 0


def test_the_cli_loads_and_names_the_problem(store, steward, files, tmp_path):
    runner = CliRunner()
    args = ["feed", "load", "si_wages", str(files["gbk"]), "--as-of", "2020-12-31"]
    result = runner.invoke(app, [*args, "--user", "steward_zj", "--mapping", str(files["mapping"])])
    assert result.exit_code == 0, result.output
    assert f"{len(ROWS)} rows = 2 accepted + {len(ROWS) - 2} quarantined" in result.output
    again = runner.invoke(app, [*args, "--user", "steward_zj", "--mapping", str(files["mapping"])])
    assert again.exit_code == 0 and "nothing changed" in again.output
    other = tmp_path / "other.csv"
    other.write_bytes(files["gbk"].read_bytes() + "short\r\n".encode("gbk"))
    bad = runner.invoke(app, [*args[:3], str(other), *args[4:], "--user", "steward_zj"])
    assert bad.exit_code == 1 and "公民身份号码" in bad.output and "Traceback" not in bad.output
    number = str(Delivery.objects.get().pk)
    listing = runner.invoke(app, ["feed", "quarantine", number, "--user", "steward_zj"])
    assert listing.exit_code == 0 and "line 4" in listing.output
    assert "330102198001010019" not in listing.output


def test_a_county_steward_loads_only_their_own_countys_rows(store, regions, tmp_path):
    from minzheng.exchange.services import DeliveryError

    county_steward = _user("steward_xh", "data_steward", "330106")
    path = tmp_path / "deaths.csv"
    path.write_text(
        "id_number,death_date,county\n"
        f"{GOOD_IDS[0]},2020-01-01,330106\n{GOOD_IDS[1]},2020-01-01,330102\n",
        encoding="utf-8",
    )
    with pytest.raises(DeliveryError) as caught:
        load(county_steward, path, feed="deaths")
    assert caught.value.code == "counties_outside_scope" and "330102" in str(caught.value)
    assert Delivery.objects.count() == 0
    assert not list((Path(store) / "deliveries").rglob("*.parquet"))
    assert AuditEvent.objects.filter(action="feed_load", outcome="denied").exists()
    own = tmp_path / "own.csv"
    own.write_text(
        f"id_number,death_date,county\n{GOOD_IDS[0]},2020-01-01,330106\n", encoding="utf-8"
    )
    delivery, new = load(county_steward, own, feed="deaths")
    assert new and delivery.counties == ["330106"]


def test_an_expiry_may_lie_after_the_as_of_date_an_issue_may_not(store, steward, tmp_path):
    path = tmp_path / "certificates.csv"
    path.write_text(
        "staff_id,certificate_level,certificate_no,issued_date,expiry_date,first_aid,"
        "first_aid_expiry_date,county\n"
        "S330102000001,senior,ZJ330102YL000001,2019-05-01,2024-05-01,true,2022-06-30,330102\n"
        "S330102000002,junior,ZJ330102YL000002,2021-05-01,2026-05-01,false,,330102\n",
        encoding="utf-8",
    )
    delivery, _new = load(steward, path, feed="care_staff_certificates")
    assert delivery.accepted == 1 and reasons_by_line(delivery) == {3: {"date_out_of_range"}}
    accepted = pq.read_table(services.store_path(delivery) / "accepted").to_pylist()
    assert accepted[0]["expiry_date"] == dt.date(2024, 5, 1)
    assert accepted[0]["first_aid_expiry_date"] == dt.date(2022, 6, 30)
