"""The layout plan of elder care (养老机构布局): per region, the older people, the
institutions' beds, nursing-type and dementia-care beds and valid certified carers against the
plan's targets; the share of older people of the main urban area within 1 km of an
institution or home-care centre; and new sites that cover the most of the others
(framework-free).

Everything is read from a lake's feeds: older people (60+ on the snapshot date, living,
counted by their hukou household as the register of older people counts them), their homes
(`household_locations`), the institutions (`institutions_table`, the one place that supplies
them) and the home-care centres.

Distances are straight lines: no road network ships with the data. Coordinates are degrees
(WGS 84); they are projected to metres with a transverse Mercator projection centred on the
area (pyproj), whose scale error over a city (±1° of longitude) stays under 0.02 %.

The **main urban area** (主城区) is what the data can tell: the urban households (社区 under
a 街道) of the city's districts (市辖区, the county-level divisions named …区). Counties and
county-level cities have no main urban area here.

The site suggestion is the maximal covering location problem (MCLP, Church & ReVelle 1974)
solved with PySAL `spopt` and the CBC solver that PuLP ships: over the older people the
existing facilities leave uncovered, gathered into demand cells of `DEMAND_CELL` metres, and
candidate sites at the centres of gravity of the uncovered older people in cells of
`CANDIDATE_CELL` metres (only the `candidate_limit` candidates that could cover most are
kept), choose K sites that cover the most older people.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from minzheng.lib.i18n import TranslatableError, gettext_noop, shown

TARGETS = Path(__file__).with_name("layout_targets.yaml")
DIVISIONS = Path(__file__).resolve().parents[1] / "regions" / "data" / "zhejiang_divisions.csv"
RADIUS_M = 1000.0
DEMAND_CELL = 200.0  # metres: older people gathered at their cell's centre of gravity
CANDIDATE_CELL = 500.0  # metres: one candidate site per cell with uncovered older people
MAX_SITES = 200
TABLES = (
    "hukou_persons",
    "hukou_households",
    "deaths",
    "household_locations",
    "care_institutions",
    "care_institution_details",
    "care_residents",
    "care_staff",
    "care_staff_certificates",
    "care_consortia",
    "home_care_centres",
)
INSTITUTION_COLUMNS = (
    "institution_id",
    "region_code",
    "county",
    "lon",
    "lat",
    "beds_total",
    "beds_nursing",
    "beds_dementia",
    "occupied",
    "carers_certified_valid",
)
STRAIGHT_LINE = gettext_noop(
    "Distances are straight lines: the data has no road network, so a home 1 km away as the "
    "crow flies may be further by road."
)


class LayoutError(TranslatableError):
    """A layout request that cannot be answered: the message names the field or the feed."""


@dataclass(frozen=True)
class Target:
    key: str
    number: int | None
    label: str
    unit: str
    actual_2020: float | None
    target_2022: float | None
    target_2025: float | None
    kind: str | None
    source: str


@cache
def load_targets() -> dict[str, Target]:
    """The plan's targets of the layout (`layout_targets.yaml`)."""
    import yaml

    data = yaml.safe_load(TARGETS.read_text(encoding="utf-8"))
    return {key: Target(key=key, **value) for key, value in data.items()}


@cache
def divisions() -> dict[str, tuple[str, str]]:
    """Code → (name, level) of the province, its cities and counties."""
    with DIVISIONS.open(encoding="utf-8") as f:
        return {r["code"]: (r["name"], r["level"]) for r in csv.DictReader(f)}


def region_name(code: str, lake: Path | None = None) -> str:
    """The name of a division (or of a township of the lake's `regions/subcounty.csv`)."""
    if code in divisions():
        return divisions()[code][0]
    if lake is not None:
        return _subcounty(Path(lake)).get(code, code)
    return code


@cache
def _subcounty(lake: Path) -> dict[str, str]:
    path = lake / "regions" / "subcounty.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        return {r["code"]: r["name"] for r in csv.DictReader(f)}


def area_prefix(code: Any, field_name: str = "city") -> str:
    """The region prefix of a province, city, county or township code (`3301` for 杭州市);
    an unknown code is refused naming the field."""
    text = str(code or "").strip()
    known = divisions()
    if text in known:
        level = known[text][1]
        return {"province": text[:2], "city": text[:4]}.get(level, text)
    if len(text) == 9 and text.isdigit() and text[:6] in known:
        return text
    raise LayoutError(
        "unknown_region",
        gettext_noop("%(field)s = %(value)s is not a city or county code of the province."),
        field=field_name,
        value=shown(text),
    )


def _full(prefix: str) -> str:
    """The region code of a prefix (`3301` → `330100`, `33` → `330000`)."""
    return prefix.ljust(6, "0") if len(prefix) < 6 else prefix


def connect(lake: Path, con=None):
    """A DuckDB connection with the lake's tables of the layout as views (county as text), and
    the snapshot date; a clear error for a lake that lacks one."""
    import duckdb

    from minzheng.policy.lake import lake_manifest

    manifest = lake_manifest(lake)
    con = con or duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for name in TABLES:
        folder = Path(lake) / name
        if not any(folder.glob("*/*.parquet")):
            raise LayoutError(
                "missing_feed",
                gettext_noop("%(path)s holds no %(feed)s: the layout plan needs it."),
                path=str(lake),
                feed=name,
            )
        glob = (folder / "*" / "*.parquet").as_posix().replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}',"
            " hive_partitioning = true, hive_types = {'county': VARCHAR})"
        )
    return con, dt.date.fromisoformat(str(manifest["snapshot_date"]))


def institutions_table(lake: Path, con=None, snapshot: dt.date | None = None):
    """The elder-care institutions as a pyarrow Table (the one place that supplies them):
    institution_id, region_code (its township), county, lon, lat, beds_total, beds_nursing,
    beds_dementia, occupied (residents), carers_certified_valid (carers whose care-worker
    certificate has not expired on the snapshot date)."""
    if con is None or snapshot is None:
        con, snapshot = connect(lake)
    return con.sql(
        """
        WITH occupied AS (
            SELECT institution_id, count(*) AS occupied FROM care_residents GROUP BY ALL
        ), carers AS (
            SELECT s.institution_id, count(DISTINCT s.staff_id) AS carers
            FROM care_staff s JOIN care_staff_certificates c USING (staff_id)
            WHERE s.role = 'carer' AND c.issued_date <= ? AND c.expiry_date >= ?
            GROUP BY ALL
        )
        SELECT i.institution_id, i.township_code AS region_code, i.county,
               d.lon, d.lat, i.beds::BIGINT AS beds_total,
               i.nursing_beds::BIGINT AS beds_nursing, i.dementia_beds::BIGINT AS beds_dementia,
               coalesce(o.occupied, 0)::BIGINT AS occupied,
               coalesce(c.carers, 0)::BIGINT AS carers_certified_valid
        FROM care_institutions i
        LEFT JOIN care_institution_details d USING (institution_id)
        LEFT JOIN occupied o USING (institution_id)
        LEFT JOIN carers c USING (institution_id)
        ORDER BY i.institution_id
        """,
        params=[snapshot, snapshot],
    ).to_arrow_table()


def _older_sql(snapshot: dt.date) -> str:
    """Households with their number of living members aged 60+ on the snapshot date (the
    register's age and death rules), where they live, and whether in a main urban area."""
    day = f"DATE '{snapshot.isoformat()}'"
    return f"""
    WITH older AS (
        SELECT household_id, count(*) AS older FROM hukou_persons p
        WHERE starts_with(p.county, $county)
          AND year({day}) - year(birth_date)
              - CASE WHEN strftime(birth_date, '%m%d') > strftime({day}, '%m%d') THEN 1 ELSE 0 END
              >= 60
          AND p.id_number NOT IN (SELECT id_number FROM deaths WHERE death_date <= {day})
        GROUP BY household_id
    )
    SELECT h.household_id, h.county, h.village_code, h.urban, o.older, l.lon, l.lat
    FROM older o JOIN hukou_households h USING (household_id)
    LEFT JOIN household_locations l USING (household_id)
    WHERE starts_with(h.village_code, $prefix)
    """


def _districts() -> set[str]:
    return {c for c, (name, level) in divisions().items() if level == "county" and name[-1] == "区"}


# --- the indicators -------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float, per: float = 1.0) -> float | None:
    return round(per * numerator / denominator, 2) if denominator else None


def _level_lengths(prefix: str) -> list[int]:
    """The code lengths of the rows a scope gets: itself and, from a province or city, its
    cities and counties."""
    return {2: [2, 4, 6], 4: [4, 6], 6: [6], 9: [9]}[len(prefix)]


def older_homes(con, snapshot: dt.date, prefix: str):
    """The households of the region `prefix` with older people: household_id, county,
    village_code, urban, older (their number), lon, lat (null without a location)."""
    return con.sql(
        _older_sql(snapshot), params={"county": prefix[:6], "prefix": prefix}
    ).to_arrow_table()


def indicators(
    lake: Path, prefix: str, con=None, snapshot: dt.date | None = None, homes=None
) -> list[dict]:
    """Per region of the scope `prefix` (itself, and its cities and counties): older people,
    beds, nursing-type share, dementia-care beds and valid certified carers per 10,000 older
    people, consortia (by their lead institution's place), each against the plan's targets."""
    if con is None or snapshot is None:
        con, snapshot = connect(lake)
    con.register("_institutions", institutions_table(lake, con, snapshot))
    if homes is None:
        homes = older_homes(con, snapshot, prefix)
    con.register("_homes", homes)
    targets = load_targets()
    rows = []
    for length in _level_lengths(prefix):
        found = con.execute(
            f"""
            WITH o AS (SELECT substr(village_code, 1, {length}) AS k, sum(older) AS older
                       FROM _homes GROUP BY ALL),
            i AS (SELECT substr(region_code, 1, {length}) AS k, count(*) AS institutions,
                         sum(beds_total) AS beds, sum(beds_nursing) AS nursing,
                         sum(beds_dementia) AS dementia, sum(occupied) AS occupied,
                         sum(carers_certified_valid) AS carers
                  FROM _institutions WHERE starts_with(region_code, $prefix) GROUP BY ALL),
            c AS (SELECT substr(i.region_code, 1, {length}) AS k, count(*) AS consortia
                  FROM care_consortia k JOIN _institutions i
                    ON i.institution_id = k.lead_institution_id
                  WHERE starts_with(i.region_code, $prefix) GROUP BY ALL)
            SELECT k, coalesce(o.older, 0), coalesce(institutions, 0), coalesce(beds, 0),
                   coalesce(nursing, 0), coalesce(dementia, 0), coalesce(occupied, 0),
                   coalesce(carers, 0), coalesce(consortia, 0)
            FROM o FULL JOIN i USING (k) FULL JOIN c USING (k) ORDER BY k
            """,
            {"prefix": prefix},
        ).fetchall()
        for k, older, inst, beds, nursing, dementia, occupied, carers, consortia in found:
            code = _full(k)
            level = {2: "province", 4: "city"}.get(length, "county" if length == 6 else "township")
            rows.append(
                {
                    "code": code,
                    "name": region_name(code, lake),
                    "level": level,
                    "older": int(older),
                    "institutions": int(inst),
                    "beds": int(beds),
                    "beds_nursing": int(nursing),
                    "beds_dementia": int(dementia),
                    "occupied": int(occupied),
                    "carers_valid": int(carers),
                    "consortia": int(consortia),
                    "beds_per_10k": _ratio(beds, older, 10_000),
                    "nursing_share": _ratio(nursing, beds, 100),
                    "dementia_beds_per_10k": _ratio(dementia, older, 10_000),
                    "carers_per_10k": _ratio(carers, older, 10_000),
                }
            )
    # the region first, then each city followed by its counties
    rows.sort(key=lambda r: ("" if r["level"] == "province" else r["code"][:4], r["code"]))
    for row in rows:
        row["meets"] = {
            key: (row[key] >= targets[key].target_2025 if row[key] is not None else None)
            for key in ("beds_per_10k", "nursing_share", "dementia_beds_per_10k", "carers_per_10k")
        }
    con.unregister("_homes")
    con.unregister("_institutions")
    return rows


def plan_indicators(lake: Path, prefix: str = "33") -> list[dict]:
    """The plan's main indicators 7–9 (每万老年人口拥有持证养老护理员数, 养老机构护理型床位占比,
    康养联合体数) of a region, computed from the lake, with the plan's 2020 value and targets
    (for the cockpit, #16). The consortia's target is the province's: elsewhere it is None."""
    prefix = area_prefix(prefix if len(prefix) != 2 else "330000", "region")
    row = indicators(lake, prefix)[0]
    targets = load_targets()
    values = {
        "carers_per_10k": row["carers_per_10k"],
        "nursing_share": row["nursing_share"],
        "consortia": row["consortia"],
    }
    out = []
    for key, value in values.items():
        t = targets[key]
        whole = key != "consortia" or len(prefix) == 2
        out.append(
            {
                "no": t.number,
                "key": key,
                "label": t.label,
                "unit": t.unit,
                "region": row["code"],
                "value": value,
                "actual_2020": t.actual_2020 if whole else None,
                "target_2022": t.target_2022 if whole else None,
                "target_2025": t.target_2025 if whole else None,
                "kind": t.kind,
                "source": t.source,
            }
        )
    return out


# --- coverage and site suggestion -----------------------------------------------------------


@dataclass
class Layout:
    """The coverage of an area and the suggested sites (aggregates only)."""

    area: str
    name: str
    snapshot: str
    radius_m: float
    indicators: list[dict]
    coverage: list[dict]  # per district of the area, then the area's total
    sites: list[dict]  # rank, lon, lat, county, older people newly covered
    after: dict  # the area's total with the sites
    facilities: list[dict] = field(default_factory=list)  # for the map
    cells: list[dict] = field(default_factory=list)  # uncovered older people per demand cell
    note: str = STRAIGHT_LINE

    def as_dict(self) -> dict:
        return asdict(self)


def projector(lon0: float, lat0: float):
    """Degrees → metres: a transverse Mercator projection centred on (lon0, lat0)."""
    from pyproj import Transformer

    crs = f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _cells(xy, weights, size: float):
    """Points gathered into square cells: each cell's centre of gravity and weight."""
    import numpy as np

    keys = np.floor(xy / size).astype(np.int64)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    total = np.bincount(inverse, weights=weights)
    cx = np.bincount(inverse, weights=weights * xy[:, 0]) / total
    cy = np.bincount(inverse, weights=weights * xy[:, 1]) / total
    return np.column_stack([cx, cy]), total


def maximal_cover(demand_xy, weights, candidates_xy, radius: float, k: int) -> list[int]:
    """The `k` candidates (indices) that together cover the most demand weight within
    `radius`: the MCLP as PySAL `spopt` builds it, solved exactly by CBC.

    spopt's own `MCLP.from_cost_matrix` writes each coverage constraint over every candidate
    from a dense matrix (215 s to build 6,223 demand cells × 600 candidates here); the same
    model is built with spopt's builders, its coverage constraints from the sparse pairs
    within `radius` only."""
    import numpy as np
    import pulp
    from scipy.spatial import cKDTree
    from spopt.locate import MCLP
    from spopt.locate.base import FacilityModelBuilder

    n, m = len(demand_xy), len(candidates_xy)
    if k >= m:
        return list(range(m))
    model = MCLP("mclp", pulp.LpProblem("mclp", pulp.LpMaximize))
    FacilityModelBuilder.add_facility_integer_variable(model, range(m), "x[{i}]")
    FacilityModelBuilder.add_client_integer_variable(model, range(n), "y[{i}]")
    weights = np.asarray(weights, dtype=np.float64)
    model.problem += pulp.lpSum(float(weights[i]) * model.cli_vars[i] for i in range(n))
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(candidates_xy), radius, output_type="coo_matrix"
    )
    reach: list[list[int]] = [[] for _ in range(n)]
    for i, j in zip(pairs.row.tolist(), pairs.col.tolist(), strict=True):
        reach[i].append(j)
    for i in range(n):
        model.problem += (
            pulp.LpAffineExpression([(model.fac_vars[j], 1) for j in reach[i]]) >= model.cli_vars[i]
        )
    FacilityModelBuilder.add_facility_constraint(model, k)
    model.problem.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[model.problem.status] != "Optimal":
        raise LayoutError(
            "not_solved",
            gettext_noop("The site suggestion found no optimal solution (%(status)s)."),
            status=pulp.LpStatus[model.problem.status],
        )
    return [j for j in range(m) if (model.fac_vars[j].value() or 0) > 0.5]


def _candidates(xy, weights, radius: float, limit: int):
    """Candidate sites over uncovered older people: one per `CANDIDATE_CELL` cell at its centre
    of gravity, the `limit` that could cover the most kept; and the demand cells."""
    import numpy as np
    from scipy.spatial import cKDTree

    demand, dweights = _cells(xy, weights, DEMAND_CELL)
    sites, _ = _cells(xy, weights, CANDIDATE_CELL)
    reach = cKDTree(sites).sparse_distance_matrix(cKDTree(demand), radius, output_type="coo_matrix")
    coverable = np.bincount(reach.row, weights=dweights[reach.col], minlength=len(sites))
    keep = np.argsort(-coverable, kind="stable")[:limit]
    sites = sites[keep]
    near = cKDTree(sites).query_ball_point(demand, radius, return_length=True) > 0
    return demand[near], dweights[near], sites


def layout(
    lake: Path,
    area: str,
    *,
    sites: int = 10,
    radius_m: float = RADIUS_M,
    candidate_limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Layout:
    """The layout plan of an area (a city, county or township code): the indicators per
    region, the main urban area's coverage per district, and `sites` suggested new sites."""
    import numpy as np
    from scipy.spatial import cKDTree

    say = progress or (lambda _step: None)
    if isinstance(sites, bool) or not isinstance(sites, int) or not 0 < sites <= MAX_SITES:
        raise LayoutError(
            "bad_sites",
            gettext_noop("%(field)s = %(value)s: give a whole number of sites from 1 to %(max)s."),
            field="sites",
            value=shown(sites),
            max=MAX_SITES,
        )
    prefix = area_prefix(area, "city")
    if len(prefix) == 2:
        raise LayoutError(
            "whole_province",
            gettext_noop("%(field)s: choose a city or county; coverage is computed per city."),
            field="city",
        )
    say("read")
    con, snapshot = connect(lake)
    table = institutions_table(lake, con, snapshot)
    con.register("_all_institutions", table)
    inst = con.sql(
        "SELECT * FROM _all_institutions WHERE starts_with(region_code, ?)"
        " AND lon IS NOT NULL AND lat IS NOT NULL",
        params=[prefix],
    ).to_arrow_table()
    if inst.num_rows == 0:
        raise LayoutError(
            "no_institutions",
            gettext_noop(
                "%(area)s (%(region)s) has no elder-care institution in the lake's "
                "care_institutions: there is nothing to plan the layout from."
            ),
            area=region_name(_full(prefix), lake),
            region=_full(prefix),
        )
    centres = con.sql(
        "SELECT centre_id, township_code, lon, lat FROM home_care_centres"
        " WHERE starts_with(township_code, ?) AND lon IS NOT NULL",
        params=[prefix],
    ).to_arrow_table()
    say("homes")
    everyone = older_homes(con, snapshot, prefix)
    say("indicators")
    rows = indicators(lake, prefix, con, snapshot, everyone)
    con.register("_everyone", everyone)
    homes = con.sql(
        "SELECT county, urban, older, lon, lat FROM _everyone"
        " WHERE lon IS NOT NULL AND lat IS NOT NULL"
    ).to_arrow_table()
    con.unregister("_everyone")
    county = np.asarray(homes.column("county").to_numpy(zero_copy_only=False), dtype=object)
    main = np.asarray(homes.column("urban").to_numpy(zero_copy_only=False), dtype=bool) & np.isin(
        county, sorted(_districts())
    )
    older = homes.column("older").to_numpy().astype(np.float64)[main]
    county = county[main]
    lon = homes.column("lon").to_numpy()[main]
    lat = homes.column("lat").to_numpy()[main]
    flon = np.concatenate([inst.column("lon").to_numpy(), centres.column("lon").to_numpy()])
    flat = np.concatenate([inst.column("lat").to_numpy(), centres.column("lat").to_numpy()])
    is_inst = np.arange(len(flon)) < inst.num_rows
    lon0 = float(np.mean(flon))
    lat0 = float(np.mean(flat))
    to_m = projector(lon0, lat0)
    hx, hy = to_m.transform(lon, lat)
    fx, fy = to_m.transform(flon, flat)
    home_xy = np.column_stack([hx, hy])
    fac_xy = np.column_stack([fx, fy])
    say("coverage")
    nearest_any, _ = cKDTree(fac_xy).query(home_xy, distance_upper_bound=radius_m)
    nearest_inst, _ = cKDTree(fac_xy[is_inst]).query(home_xy, distance_upper_bound=radius_m)
    covered = nearest_any <= radius_m
    covered_inst = nearest_inst <= radius_m
    say("sites")
    limit = candidate_limit or max(40 * sites, 600)
    chosen_xy = np.empty((0, 2))
    cells: list[dict] = []
    if (~covered).any():
        demand, dweights, candidates = _candidates(
            home_xy[~covered], older[~covered], radius_m, limit
        )
        chosen = maximal_cover(demand, dweights, candidates, radius_m, sites)
        chosen_xy = candidates[chosen]
        to_deg = projector(lon0, lat0)
        dlon, dlat = to_deg.transform(demand[:, 0], demand[:, 1], direction="INVERSE")
        cells = [
            {"lon": round(float(a), 5), "lat": round(float(b), 5), "older": int(w)}
            for a, b, w in zip(dlon, dlat, dweights, strict=True)
        ]
    newly = np.zeros(len(home_xy), dtype=bool)
    site_rows = []
    if len(chosen_xy):
        gain = cKDTree(chosen_xy).query_ball_point(home_xy[~covered], radius_m, return_length=True)
        uncovered_idx = np.flatnonzero(~covered)
        newly[uncovered_idx[gain > 0]] = True
        # each site's own gain, in the order of a greedy reading (largest first)
        site_tree = cKDTree(chosen_xy)
        _, owner = site_tree.query(home_xy[newly])
        per_site = np.bincount(owner, weights=older[newly], minlength=len(chosen_xy))
        slon, slat = projector(lon0, lat0).transform(
            chosen_xy[:, 0], chosen_xy[:, 1], direction="INVERSE"
        )
        site_county = [
            _nearest_county(chosen_xy[j], home_xy, county) for j in range(len(chosen_xy))
        ]
        order = np.argsort(-per_site, kind="stable")
        for rank, j in enumerate(order, start=1):
            site_rows.append(
                {
                    "rank": rank,
                    "lon": round(float(slon[j]), 5),
                    "lat": round(float(slat[j]), 5),
                    "county": site_county[j],
                    "county_name": region_name(site_county[j]),
                    "newly_covered": int(per_site[j]),
                }
            )
    coverage = _coverage_rows(_full(prefix), county, older, covered, covered_inst, newly, lake)
    facilities = [
        {"kind": "institution", "lon": r["lon"], "lat": r["lat"], "beds": r["beds_total"]}
        for r in inst.select(["lon", "lat", "beds_total"]).to_pylist()
    ] + [
        {"kind": "home_care_centre", "lon": r["lon"], "lat": r["lat"], "beds": 0}
        for r in centres.select(["lon", "lat"]).to_pylist()
    ]
    con.unregister("_all_institutions")
    say("done")
    total = coverage[-1]
    return Layout(
        area=_full(prefix),
        name=region_name(_full(prefix), lake),
        snapshot=snapshot.isoformat(),
        radius_m=radius_m,
        indicators=rows,
        coverage=coverage,
        sites=site_rows,
        after={
            "older": total["older"],
            "covered": total["covered"] + total["newly_covered"],
            "share": _ratio(total["covered"] + total["newly_covered"], total["older"], 100),
        },
        facilities=facilities,
        cells=cells,
    )


def _nearest_county(site, home_xy, county) -> str:
    import numpy as np

    return str(county[int(np.argmin(((home_xy - site) ** 2).sum(axis=1)))])


def _coverage_rows(area, county, older, covered, covered_inst, newly, lake) -> list[dict]:
    """Per district of the area, then the area (the main urban area's older people)."""
    import numpy as np

    rows = []
    for code in sorted(set(county.tolist())):
        mask = county == code
        rows.append(
            _coverage_row(code, region_name(code, lake), mask, older, covered, covered_inst, newly)
        )
    everything = np.ones(len(county), dtype=bool)
    rows.append(
        _coverage_row(
            area, region_name(area, lake), everything, older, covered, covered_inst, newly
        )
    )
    return rows


def _coverage_row(code, name, mask, older, covered, covered_inst, newly) -> dict:
    total = float(older[mask].sum())
    c = float(older[mask & covered].sum())
    ci = float(older[mask & covered_inst].sum())
    n = float(older[mask & newly].sum())
    return {
        "code": code,
        "name": name,
        "older": int(total),
        "covered": int(c),
        "share": _ratio(c, total, 100),
        "covered_institution": int(ci),
        "share_institution": _ratio(ci, total, 100),
        "newly_covered": int(n),
        "share_after": _ratio(c + n, total, 100),
    }


# --- output ---------------------------------------------------------------------------------


def output_paths(out: Path) -> list[Path]:
    """The files `write` makes for `out` (FILE.json, or FILE.csv and FILE-sites.csv); a
    suffix other than .json or .csv is refused, a file that exists raises FileExistsError."""
    out = Path(out)
    if out.suffix.lower() == ".json":
        paths = [out]
    elif out.suffix.lower() == ".csv":
        paths = [out, out.with_name(out.stem + "-sites.csv")]
    else:
        raise LayoutError(
            "bad_out",
            gettext_noop("%(field)s = %(value)s: the file must end in .json or .csv."),
            field="out",
            value=shown(str(out)),
        )
    for path in paths:
        if path.exists():
            raise FileExistsError(str(path))
    return paths


def write(result: Layout, out: Path) -> list[Path]:
    """Write the result as JSON (everything) or CSV (one row per region, and the sites in
    `<name>-sites.csv`), never replacing a file (FileExistsError)."""
    paths = output_paths(out)
    if len(paths) == 1:
        with paths[0].open("x", encoding="utf-8") as f:
            json.dump(result.as_dict(), f, ensure_ascii=False, indent=1, default=str)
        return paths
    out, sites_path = paths
    cover = {r["code"]: r for r in result.coverage}
    with out.open("x", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        keys = [k for k in result.indicators[0] if k != "meets"] if result.indicators else []
        extra = [
            "main_urban_older",
            "covered_1km",
            "share_1km",
            "share_1km_institution",
            "share_after_sites",
        ]
        writer.writerow(keys + extra)
        for row in result.indicators:
            c = cover.get(row["code"], {})
            writer.writerow(
                [row[k] for k in keys]
                + [
                    c.get("older"),
                    c.get("covered"),
                    c.get("share"),
                    c.get("share_institution"),
                    c.get("share_after"),
                ]
            )
    with sites_path.open("x", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["rank", "lon", "lat", "county", "county_name", "newly_covered"])
        for s in result.sites:
            writer.writerow(
                [s[k] for k in ("rank", "lon", "lat", "county", "county_name", "newly_covered")]
            )
    return [out, sites_path]
