"""Warning signals (动态预警): rules declared in YAML over the departments' feeds, evaluated
set-based over the whole lake at an explicit as-of date, on any Ibis backend
(framework-free).

A signal reads one feed and counts either an `event` (a row whose date falls in the look-back
window), a `sum` (the rows' values in the window reaching a threshold), a `fall` (the
household's losses `before` − `after` in the window reaching a share `threshold` of what it
had: the losses plus its current total of `base_value` in `base_feed`) or a `state` (a row
as it stands on the date), filtered by conditions on the feed's columns and by household
conditions (`requires`): the person is the household's main earner (the highest wage), the
household is on the low-income register (低保, 低边 or 特困), the person lives alone, the person
is 80 or older, or the household's situation got worse after the row's date (another event,
sum or fall signal of the household dated later: `worsened`). A signal about a person who has
died is not raised, except from the deaths feed itself; one about a household (a feed whose
subject is the household) as long as a member lives. A household's priority score is the
sum of the weights of its signals (the weights add up to 1, so the score is between 0 and 1).

A rule file naming an unknown feed, column, operator or household condition, a negative
threshold or look-back, or weights not adding up to 1 is refused with its file and line. A
feed missing from the lake, or older than `stale_days` on the as-of date, is reported: its
signals are not evaluated, never silently passed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minzheng.lib import yamllines
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten

RULES = Path(__file__).with_name("signals.yaml")
KINDS = ("event", "sum", "fall", "state")
OPERATORS = ("<", "<=", ">", ">=", "==", "!=", "in")
REQUIRES = ("main_earner", "low_income", "lives_alone", "aged_80", "worsened")
LOW_INCOME = ("dibao", "dibian", "tekun")
WEIGHT_TOLERANCE = 1e-6


class SignalError(TranslatableError):
    """A signal file that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class Signal:
    name: str
    label: str
    feed: str
    kind: str
    weight: float
    date: str = ""
    value: str = ""
    threshold: float = 0.0
    lookback_months: int = 0
    where: tuple[Condition, ...] = ()
    requires: tuple[str, ...] = ()
    before: str = ""  # fall: the columns of the value before and after the change
    after: str = ""
    base_feed: str = ""  # fall: the feed and column of the household's current total
    base_value: str = ""


@dataclass(frozen=True)
class SignalSet:
    signals: tuple[Signal, ...]
    stale_days: int
    file: str = ""
    names: dict[str, Signal] = field(default_factory=dict, compare=False)


def _fail(code: str, template: str, file: Path | str, line: int, **params: Any) -> SignalError:
    return SignalError(code, template, file=str(file), line=line, **params)


def _number(raw: dict, key: str, path: Path, *, integer: bool = False) -> float:
    value = raw.get(key, 0)
    ok = not isinstance(value, bool) and isinstance(value, int if integer else int | float)
    if not ok or value < 0:
        raise _fail(
            "bad_number",
            gettext_noop(
                "%(file)s line %(line)s: %(key)s = %(value)s must be a number of 0 or more."
            ),
            path,
            yamllines.line_of(raw, key),
            key=key,
            value=shorten(str(value)),
        )
    return value


def load_signals(path: Path = RULES) -> SignalSet:
    """The signals of a rule file, checked against the declared feeds (see the module)."""
    from minzheng.exchange.feeds import FEEDS

    data = yamllines.read(path, SignalError)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("signals"), list)
        or not data["signals"]
    ):
        raise _fail(
            "no_signals",
            gettext_noop("%(file)s line %(line)s: a rule file needs a list of signals."),
            path,
            getattr(data, "line", 1),
        )
    stale_days = int(_number(data, "stale_days", path, integer=True))
    items, signals, seen = data["signals"], [], set()
    for i, raw in enumerate(items):
        line = yamllines.line_of(items, i)
        if not isinstance(raw, dict):
            raise _fail(
                "bad_signal",
                gettext_noop("%(file)s line %(line)s: a signal is a mapping of its fields."),
                path,
                line,
            )
        missing = [k for k in ("name", "label", "feed", "kind", "weight") if k not in raw]
        if missing:
            raise _fail(
                "signal_field_missing",
                gettext_noop("%(file)s line %(line)s: the signal lacks %(fields)s."),
                path,
                line,
                fields=", ".join(missing),
            )
        name = str(raw["name"])
        if name in seen:
            raise _fail(
                "duplicate_signal",
                gettext_noop("%(file)s line %(line)s: signal %(name)s is given twice."),
                path,
                line,
                name=name,
            )
        seen.add(name)
        feed = FEEDS.get(str(raw["feed"]))
        if feed is None:
            raise _fail(
                "unknown_feed",
                gettext_noop("%(file)s line %(line)s: there is no feed %(feed)s."),
                path,
                yamllines.line_of(raw, "feed"),
                feed=shorten(str(raw["feed"])),
            )
        columns = {c.name: c for c in feed.columns}
        kind = raw["kind"]
        if kind not in KINDS:
            raise _fail(
                "bad_kind",
                gettext_noop("%(file)s line %(line)s: kind = %(value)s is not one of %(allowed)s."),
                path,
                yamllines.line_of(raw, "kind"),
                value=shorten(str(kind)),
                allowed=", ".join(KINDS),
            )
        needed = {
            "event": ("date",),
            "sum": ("date", "value"),
            "fall": ("date", "before", "after"),
            "state": (),
        }[kind]
        base = FEEDS.get(str(raw.get("base_feed"))) if kind == "fall" else None
        if kind == "fall" and base is None:
            raise _fail(
                "unknown_feed",
                gettext_noop("%(file)s line %(line)s: there is no feed %(feed)s."),
                path,
                yamllines.line_of(raw, "base_feed") or line,
                feed=shorten(str(raw.get("base_feed", "—"))),
            )
        checks = [(key, feed, columns) for key in needed]
        if base is not None:
            checks.append(("base_value", base, {c.name: c for c in base.columns}))
        for key, named, known in checks:
            if str(raw.get(key, "")) not in known:
                raise _fail(
                    "unknown_column",
                    gettext_noop("%(file)s line %(line)s: feed %(feed)s has no column %(column)s."),
                    path,
                    yamllines.line_of(raw, key) or line,
                    feed=named.name,
                    column=shorten(str(raw.get(key, "—"))),
                )
        where = []
        conditions = raw.get("where") or []
        for j, c in enumerate(conditions):
            cline = yamllines.line_of(conditions, j)
            if not isinstance(c, dict) or str(c.get("column")) not in columns:
                raise _fail(
                    "unknown_column",
                    gettext_noop("%(file)s line %(line)s: feed %(feed)s has no column %(column)s."),
                    path,
                    cline,
                    feed=feed.name,
                    column=shorten(str(c.get("column") if isinstance(c, dict) else c)),
                )
            if c.get("op") not in OPERATORS:
                raise _fail(
                    "bad_operator",
                    gettext_noop(
                        "%(file)s line %(line)s: op = %(value)s is not one of %(allowed)s."
                    ),
                    path,
                    cline,
                    value=shorten(str(c.get("op"))),
                    allowed=" ".join(OPERATORS),
                )
            codes = columns[c["column"]].codes
            values = c.get("value") if c["op"] == "in" else [c.get("value")]
            if c["op"] == "in" and not isinstance(values, list):
                raise _fail(
                    "bad_value",
                    gettext_noop("%(file)s line %(line)s: op in needs a list of values."),
                    path,
                    cline,
                )
            unknown = [v for v in values if codes is not None and v not in codes]
            if unknown:
                raise _fail(
                    "unknown_code",
                    gettext_noop("%(file)s line %(line)s: %(column)s has no value %(value)s."),
                    path,
                    cline,
                    column=c["column"],
                    value=shorten(str(unknown[0])),
                )
            where.append(Condition(c["column"], c["op"], c["value"]))
        requires = raw.get("requires") or []
        bad = [r for r in requires if r not in REQUIRES]
        if bad:
            raise _fail(
                "unknown_requirement",
                gettext_noop(
                    "%(file)s line %(line)s: requires %(value)s is not one of %(allowed)s."
                ),
                path,
                yamllines.line_of(raw, "requires"),
                value=shorten(str(bad[0])),
                allowed=", ".join(REQUIRES),
            )
        weight = raw["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise _fail(
                "bad_weight",
                gettext_noop("%(file)s line %(line)s: weight = %(value)s must be above 0."),
                path,
                yamllines.line_of(raw, "weight"),
                value=shorten(str(weight)),
            )
        threshold = _number(raw, "threshold", path)
        if kind == "fall" and not 0 < threshold <= 1:
            raise _fail(
                "bad_share",
                gettext_noop(
                    "%(file)s line %(line)s: threshold = %(value)s of a fall must be a share "
                    "above 0 and at most 1."
                ),
                path,
                yamllines.line_of(raw, "threshold") or line,
                value=shorten(str(threshold)),
            )
        lookback = int(_number(raw, "lookback_months", path, integer=True))
        if kind != "state" and lookback == 0:
            raise _fail(
                "no_lookback",
                gettext_noop(
                    "%(file)s line %(line)s: a signal of kind %(kind)s needs lookback_months above 0."
                ),
                path,
                line,
                kind=kind,
            )
        signals.append(
            Signal(
                name=name,
                label=str(raw["label"]),
                feed=feed.name,
                kind=kind,
                weight=float(weight),
                date=str(raw.get("date", "")),
                value=str(raw.get("value", "")),
                threshold=float(threshold),
                lookback_months=lookback,
                where=tuple(where),
                requires=tuple(requires),
                before=str(raw.get("before", "")),
                after=str(raw.get("after", "")),
                base_feed=base.name if base else "",
                base_value=str(raw.get("base_value", "")),
            )
        )
    total = math.fsum(s.weight for s in signals)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise _fail(
            "weights_not_one",
            gettext_noop("%(file)s line %(line)s: the weights add up to %(total)s, not 1."),
            path,
            yamllines.line_of(data, "signals"),
            total=f"{total:.6g}",
        )
    return SignalSet(tuple(signals), stale_days, str(path), {s.name: s for s in signals})


def feeds_of(signals: SignalSet) -> tuple[str, ...]:
    """The feeds the signals read (to open besides the engine's)."""
    names = [s.feed for s in signals.signals] + [s.base_feed for s in signals.signals]
    return tuple(dict.fromkeys(n for n in names if n))


def years_before(date: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for a 29th): born on it or before, a person
    has reached `years` on `date`."""
    try:
        return date.replace(year=date.year - years)
    except ValueError:
        return date.replace(year=date.year - years, day=28)


def window_start(date: dt.date, months: int) -> dt.date:
    """The first day inside a look-back of `months` months ending on `date`."""
    month = date.month - 1 - months
    year, month = date.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(date.day, last)) + dt.timedelta(days=1)


def _condition(table, c: Condition):
    column = table[c.column]
    if c.op == "in":
        return column.isin(list(c.value))
    return {
        "<": column < c.value,
        "<=": column <= c.value,
        ">": column > c.value,
        ">=": column >= c.value,
        "==": column == c.value,
        "!=": column != c.value,
    }[c.op]


def availability(feeds: dict, signals: SignalSet, date: dt.date, con) -> dict[str, str]:
    """signal → why it cannot be evaluated on `date` ("missing" feed, or "stale: <date>"):
    only the signals that cannot appear."""
    out = {}
    for s in signals.signals:
        table = feeds.get(s.feed)
        if table is None:
            out[s.name] = "missing"
            continue
        latest = con.to_pyarrow(table.snapshot_date.max()).as_py()
        if latest is None:
            out[s.name] = "missing"
        elif latest < date - dt.timedelta(days=signals.stale_days):
            out[s.name] = f"stale: {latest.isoformat()}"
    return out


def signals_table(
    con,
    feeds: dict,
    signals: SignalSet,
    date: dt.date,
    skip: set[str] = frozenset(),
    checkpoint=None,
):
    """The lazy table of (household_id, county, signal, id_number, when, amount) for every
    signal that can be evaluated. `checkpoint(table, name)`, when given, returns the tables
    every signal reads (the members, the living) materialised, computed once."""
    import ibis

    from minzheng.exchange.feeds import FEEDS

    def saved(table, name: str):
        return table if checkpoint is None else checkpoint(table, name)

    persons = feeds["hukou_persons"]
    dead = feeds["deaths"].filter(feeds["deaths"].death_date <= date).select("id_number")
    villages = feeds["hukou_households"].select("household_id", "village_code")
    members = saved(
        persons.select("id_number", "household_id", "county", "birth_date").join(
            villages, "household_id"
        ),
        "members",
    )
    living = saved(
        persons.select("id_number", "household_id").anti_join(dead, "id_number"), "living"
    )
    living_members = saved(
        members.semi_join(living.select("id_number"), "id_number"), "living_members"
    )
    household_size = saved(
        living.group_by("household_id").aggregate(size=living.count()), "household_size"
    )
    register = feeds["enrolments"]
    low_income = (
        register.filter(register.programme.isin(list(LOW_INCOME)))
        .select("household_id")
        .distinct()
        .mutate(low_income=ibis.literal(True))
    )

    def earners(households):
        """The main earners (the highest wage, above 0) of `households` only: over the whole
        province the wages of every member would be joined and ranked (64 million persons,
        most of a run's time at scale 1.0) to keep a few thousand."""
        local = persons.select("id_number", "household_id").semi_join(households, "household_id")
        wages = feeds["si_wages"].select("id_number", "monthly_wage")
        wages = wages.semi_join(local, "id_number")
        wages = wages.group_by("id_number").aggregate(wage=wages.monthly_wage.sum())
        with_wage = local.join(wages, "id_number")
        with_wage = with_wage.mutate(
            top_wage=with_wage.wage.max().over(ibis.window(group_by="household_id"))
        )
        return (
            with_wage.filter((with_wage.wage == with_wage.top_wage) & (with_wage.wage > 0))
            .select("id_number")
            .mutate(main_earner=ibis.literal(True))
        )

    def fall(t, s: Signal):
        """The households whose losses in the window reach the share: one row each, the
        member who lost most, the last change and the monthly amount lost."""
        t = t.group_by("id_number").aggregate(
            lost=(t[s.before] - t[s.after]).sum().cast("decimal(20, 2)"), when=t[s.date].max()
        )
        t = t.join(living_members.select("id_number", "household_id"), "id_number")
        households = t.group_by("household_id").aggregate(
            id_number=t.id_number.argmax(t.lost),
            lost=t.lost.sum(),
            when=t.when.max(),
        )
        base = feeds[s.base_feed]
        base = base.join(
            living_members.select("id_number", "household_id").semi_join(
                households, "household_id"
            ),
            "id_number",
        )
        base = base.group_by("household_id").aggregate(now=base[s.base_value].sum())
        t = households.left_join(base, "household_id")
        had = t.lost.cast("float64") + t.now.fill_null(0).cast("float64")
        t = t.filter((t.lost > 0) & (t.lost.cast("float64") >= s.threshold * had))
        return t.select("id_number", "when", amount=t.lost.cast("decimal(20, 2)"))

    parts, worsening = [], []
    for s in sorted(signals.signals, key=lambda s: "worsened" in s.requires):
        if s.name in skip:
            continue
        t = feeds[s.feed]
        for c in s.where:
            t = t.filter(_condition(t, c))
        if s.kind != "state":
            start = window_start(date, s.lookback_months)
            t = t.filter((t[s.date] >= start) & (t[s.date] <= date))
        if s.kind == "fall":
            t = fall(t, s)
        elif s.kind == "sum":
            t = t.group_by("id_number").aggregate(
                amount=t[s.value].sum().cast("decimal(20, 2)"), when=t[s.date].max()
            )
            t = t.filter(t.amount >= s.threshold)
        elif s.kind == "event":
            t = (
                t.group_by("id_number")
                .aggregate(when=t[s.date].max())
                .mutate(amount=ibis.null("decimal(20, 2)"))
            )
        else:
            t = (
                t.select("id_number")
                .distinct()
                .mutate(when=ibis.literal(date), amount=ibis.null("decimal(20, 2)"))
            )
        if s.feed == "deaths":
            t = t.join(members, "id_number")
        elif FEEDS[s.feed].subject == "household_id":  # about a household that still lives
            t = t.join(members, "id_number").semi_join(household_size, "household_id")
        else:
            t = t.join(living_members, "id_number")
        if "main_earner" in s.requires:
            t = t.join(earners(t.select("household_id").distinct()), "id_number")
        if "low_income" in s.requires:
            t = t.join(low_income, "household_id")
        if "lives_alone" in s.requires:
            t = t.join(household_size.filter(household_size.size == 1), "household_id")
            t = t.join(living.select("id_number"), "id_number")
        if "aged_80" in s.requires:
            t = t.filter(t.birth_date <= years_before(date, 80))
        if "worsened" in s.requires:
            if not worsening:
                continue  # nothing could have got worse: no event signal was evaluated
            later = worsening[0]
            for part in worsening[1:]:
                later = later.union(part)
            later = later.group_by("household_id").aggregate(latest=later.when.max())
            t = t.join(later, "household_id")
            t = t.filter(t.latest > t.when)
        part = t.select(
            "household_id",
            "county",
            "village_code",
            "id_number",
            signal=ibis.literal(s.name),
            when=t.when.cast("date"),
            amount=t.amount,
        )
        parts.append(part)
        if s.kind != "state" and "worsened" not in s.requires:
            worsening.append(part.select("household_id", "when"))
    if not parts:
        return None
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    return union


def priority(rows: list[dict], signals: SignalSet) -> dict[str, float]:
    """household → priority score: the sum of the weights of its distinct signals."""
    seen: dict[str, set[str]] = {}
    for r in rows:
        seen.setdefault(r["household_id"], set()).add(r["signal"])
    return {h: math.fsum(signals.names[n].weight for n in names) for h, names in seen.items()}


def run(
    con,
    lake: Path,
    date: dt.date,
    out: Path,
    signals: SignalSet | None = None,
    max_persons: int = 3_000_000,
) -> dict:
    """Evaluate every signal over the lake on `date` into `out` (Parquet files `part-NNN`,
    a chunk of counties each — a household lives in one county — replaced whole); returns the
    counts by signal and the signals that could not be evaluated, with why."""
    import json
    import os
    import shutil

    import pyarrow.parquet as pq

    from minzheng.policy.lake import lake_manifest, open_feeds
    from minzheng.policy.screen import county_chunks

    signals = signals or load_signals()
    extra = feeds_of(signals)
    unavailable = availability(open_feeds(con, lake, extra=extra), signals, date, con)
    out = Path(out).resolve()
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        counts: dict[str, int] = {s.name: 0 for s in signals.signals if s.name not in unavailable}
        for i, (counties, _persons) in enumerate(county_chunks(lake, max_persons)):
            feeds = open_feeds(con, lake, counties, extra=extra)
            table = signals_table(con, feeds, signals, date, skip=set(unavailable))
            if table is None:
                break
            arrow = con.to_pyarrow(table)
            pq.write_table(arrow, tmp / f"part-{i:03d}.parquet")
            for name in arrow.column("signal").to_pylist():
                counts[name] += 1
        source = lake_manifest(lake)
        (tmp / "_signals.json").write_text(
            json.dumps(
                {
                    "date": date.isoformat(),
                    "lake": str(Path(lake).resolve()),
                    "snapshot_date": source.get("snapshot_date", ""),
                    "rules": signals.file,
                    "counts": counts,
                    "not_evaluated": unavailable,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"counts": counts, "not_evaluated": unavailable}


def score(folder: Path, truth: Path, signals: SignalSet | None = None) -> list[dict]:
    """Recall and precision of each signal's households against the planted truth of a
    synthetic province (`truth/signals`): the households a signal raised against those the
    generator put in that situation."""
    import duckdb

    signals = signals or load_signals()
    found = f"read_parquet('{(Path(folder) / 'part-*.parquet').as_posix()}')"
    planted = f"read_parquet('{(Path(truth) / 'signals' / '*' / '*.parquet').as_posix()}')"
    con = duckdb.connect()
    rows = []
    for s in signals.signals:
        n_found, n_true, hits = con.execute(
            f"WITH f AS (SELECT DISTINCT household_id FROM {found} WHERE signal = ?), "
            f"t AS (SELECT DISTINCT household_id FROM {planted} WHERE signal = ?) "
            "SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM t), "
            "(SELECT count(*) FROM f JOIN t USING (household_id))",
            [s.name, s.name],
        ).fetchone()
        rows.append(
            {
                "signal": s.name,
                "label": s.label,
                "found": n_found,
                "planted": n_true,
                "matched": hits,
                "recall": hits / n_true if n_true else None,
                "precision": hits / n_found if n_found else None,
            }
        )
    return rows
