"""Target vs achieved for every calibration target, measured on the lake with DuckDB."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from minzheng.synth.calibration import Calibration, load_calibration
from minzheng.synth.lake import read_manifest


def connect(lake: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per lake table (county kept as text)."""
    manifest = read_manifest(lake)
    con = duckdb.connect()
    for name in manifest["tables"]:
        pattern = (lake / name / "*" / "*.parquet").as_posix().replace("'", "''")
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{pattern}', "
            "hive_partitioning = true, hive_types = {'county': VARCHAR})"
        )
    return con


def _age_sql(snapshot: str) -> str:
    s = f"DATE '{snapshot}'"
    return (
        f"(year({s}) - year(birth_date) - CASE WHEN strftime(birth_date, '%m%d') > "
        f"strftime({s}, '%m%d') THEN 1 ELSE 0 END)"
    )


def _standard_case(con: duckdb.DuckDBPyConnection, snapshot: str, calibration: Calibration) -> str:
    date = dt.date.fromisoformat(snapshot)
    counties = [
        r[0] for r in con.execute("SELECT DISTINCT county FROM hukou_households").fetchall()
    ]
    whens = " ".join(
        f"WHEN county = '{c}' THEN {calibration.dibao_standard(date, c)}" for c in sorted(counties)
    )
    return f"CASE {whens} END"


def measure(
    con: duckdb.DuckDBPyConnection, snapshot: str, calibration: Calibration
) -> dict[str, float]:
    """Every achieved value, by target name."""
    age = _age_sql(snapshot)

    def one(sql: str) -> float:
        return float(con.execute(sql).fetchone()[0] or 0.0)

    income = (
        "WITH p AS (SELECT p.id_number, h.urban FROM hukou_persons p JOIN hukou_households h "
        "USING (household_id)), inc AS ("
        "SELECT id_number, wage_monthly + business_monthly + property_monthly AS m FROM tax_income "
        "UNION ALL SELECT id_number, monthly_amount FROM pensions "
        "UNION ALL SELECT id_number, monthly_benefit FROM unemployment) "
        "SELECT 12 * sum(coalesce(inc.m, 0)) / count(DISTINCT p.id_number) FROM p "
        "LEFT JOIN inc USING (id_number) WHERE p.urban = {urban}"
    )
    dibao = (
        "SELECT {expr} FROM enrolments e JOIN hukou_households h USING (household_id) "
        "WHERE e.programme = 'dibao'"
    )
    persons = one("SELECT count(*) FROM hukou_persons")
    older = one(f"SELECT count(*) FROM hukou_persons WHERE {age} >= 60")
    return {
        "share_age_0_14": one(
            f"SELECT avg(CASE WHEN {age} <= 14 THEN 1 ELSE 0 END) FROM hukou_persons"
        ),
        "share_age_60_plus": older / persons,
        "share_age_65_plus": one(
            f"SELECT avg(CASE WHEN {age} >= 65 THEN 1 ELSE 0 END) FROM hukou_persons"
        ),
        "urban_share": one(
            "SELECT sum(CASE WHEN urban THEN size ELSE 0 END) / sum(size) FROM hukou_households"
        ),
        "household_size_mean": one("SELECT avg(size) FROM hukou_households"),
        "income_urban_yearly": one(income.format(urban="true")),
        "income_rural_yearly": one(income.format(urban="false")),
        "dibao_recipients": one(dibao.format(expr="count(*)")),
        "dibao_rural_share": one(dibao.format(expr="avg(CASE WHEN h.urban THEN 0 ELSE 1 END)")),
        "dibao_standard_mean": one(
            f"SELECT sum(size * ({_standard_case(con, snapshot, calibration)})) / sum(size) "
            "FROM hukou_households"
        ),
        "eldercare_institutions": one("SELECT count(*) FROM care_institutions"),
        "beds_per_1000_older": one("SELECT sum(beds) FROM care_institutions") * 1000 / older,
        "nursing_bed_share": one("SELECT sum(nursing_beds) / sum(beds) FROM care_institutions"),
        "social_organisations": one("SELECT count(*) FROM social_orgs"),
        "social_workers_per_10k": one("SELECT count(*) FROM social_workers") * 10000 / persons,
        "certified_carers_per_10k_older": one(
            f"SELECT count(*) FROM care_staff_certificates WHERE expiry_date > DATE '{snapshot}'"
        )
        * 10000
        / older,
        "care_consortia": one("SELECT count(*) FROM care_consortia"),
        "children_protected": one("SELECT count(*) FROM children_registry"),
    }


@dataclass(frozen=True)
class Row:
    name: str
    expected: float
    achieved: float
    allowed: float
    source: str

    @property
    def ok(self) -> bool:
        return abs(self.achieved - self.expected) <= self.allowed


def calibration_report(lake: Path) -> tuple[dict, list[Row]]:
    """(manifest, one row per target) for the lake."""
    manifest = read_manifest(lake)
    calibration = load_calibration()
    achieved = measure(connect(lake), manifest["snapshot_date"], calibration)
    scale = manifest["scale"]
    rows = [
        Row(t.name, t.expected(scale), achieved[t.name], t.allowed(scale), t.source)
        for t in calibration.targets()
    ]
    return manifest, rows


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4f}"


def render(manifest: dict, rows: list[Row], markdown: bool = False) -> str:
    """The report as an aligned text table or as Markdown."""
    head = ["target", "expected", "achieved", "tolerance", "result"]
    body = [
        [
            r.name,
            _fmt(r.expected),
            _fmt(r.achieved),
            "±" + _fmt(r.allowed),
            "pass" if r.ok else "FAIL",
        ]
        for r in rows
    ]
    title = (
        f"scale {manifest['scale']}, seed {manifest['seed']}, {manifest['persons']:,} persons, "
        f"snapshot {manifest['snapshot_date']}"
    )
    if markdown:
        lines = [
            f"Calibration at {title}",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
        ]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]

    def fmt(row: list[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([title, fmt(head), *map(fmt, body)]) + "\n"
