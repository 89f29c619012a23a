"""The layout plan over a hand-built lake whose every figure is computed by hand: older
people as the register counts them, per-10,000 figures, the nursing-type share, valid
certificates only, the 1 km coverage of the main urban area and the site that closes it; the
MCLP against brute force on toy instances; bad input refused with the field named."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from minzheng.eldercare import layout

SNAPSHOT = dt.date(2020, 12, 31)
COUNTY = "330102"  # 上城区, a district: its urban households are the main urban area
TOWNSHIP = "330102001"
VILLAGE = "330102001001"
LON, LAT = 120.0, 30.0
METRES_PER_DEGREE_LAT = 110_852.0  # near 30° N (WGS 84)


def north(metres: float) -> float:
    return LAT + metres / METRES_PER_DEGREE_LAT


def write(lake, name, columns, county=COUNTY):
    folder = lake / name / f"county={county}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), folder / "part-0.parquet")


def born(years_before: int, day: dt.date = SNAPSHOT) -> dt.date:
    return day.replace(year=day.year - years_before)


@pytest.fixture
def lake(tmp_path):
    """Four households in 上城区:
    - H1 urban, 500 m north of the institution: a person of 70 and one who turns 60 on the
      snapshot day (both count) and one who turns 60 the day after (does not);
    - H2 urban, 1,500 m north: one person of 65 (not covered);
    - H3 rural (not main urban), at the institution: one person of 80;
    - H4 urban, 3,000 m north, 300 m from a home-care centre: one of 75, and one of 90 who
      died before the snapshot (does not count).
    Older people: 5 in the county, 4 in the main urban area, 3 of them within 1 km of a
    facility (2 of an institution). The institution: 30 beds, 20 nursing-type, 2 dementia-care,
    2 residents; 2 carers with a certificate, one expired; one consortium led by it."""
    persons = [
        ("P1", born(70), "H1"),
        ("P2", born(60), "H1"),
        ("P3", born(60, SNAPSHOT + dt.timedelta(days=1)), "H1"),
        ("P4", born(65), "H2"),
        ("P5", born(80), "H3"),
        ("P6", born(75), "H4"),
        ("P7", born(90), "H4"),
    ]
    write(
        tmp_path,
        "hukou_persons",
        {
            "id_number": [p[0] for p in persons],
            "birth_date": pa.array([p[1] for p in persons], pa.date32()),
            "household_id": [p[2] for p in persons],
        },
    )
    write(tmp_path, "deaths", {"id_number": ["P7"], "death_date": [dt.date(2020, 6, 1)]})
    households = ["H1", "H2", "H3", "H4"]
    write(
        tmp_path,
        "hukou_households",
        {
            "household_id": households,
            "village_code": [VILLAGE] * 4,
            "urban": [True, True, False, True],
        },
    )
    write(
        tmp_path,
        "household_locations",
        {
            "household_id": households,
            "lon": [LON] * 4,
            "lat": [north(500), north(1500), LAT, north(3000)],
        },
    )
    write(
        tmp_path,
        "care_institutions",
        {
            "institution_id": ["I1"],
            "township_code": [TOWNSHIP],
            "beds": pa.array([30], pa.int32()),
            "nursing_beds": pa.array([20], pa.int32()),
            "dementia_beds": pa.array([2], pa.int32()),
        },
    )
    write(
        tmp_path, "care_institution_details", {"institution_id": ["I1"], "lon": [LON], "lat": [LAT]}
    )
    write(tmp_path, "care_residents", {"institution_id": ["I1", "I1"], "id_number": ["P5", "X"]})
    write(
        tmp_path,
        "care_staff",
        {
            "staff_id": ["S1", "S2", "S3"],
            "institution_id": ["I1"] * 3,
            "role": ["carer", "carer", "other"],
        },
    )
    write(
        tmp_path,
        "care_staff_certificates",
        {
            "staff_id": ["S1", "S2"],
            "issued_date": [dt.date(2019, 1, 1), dt.date(2014, 1, 1)],
            "expiry_date": [dt.date(2024, 1, 1), dt.date(2019, 1, 1)],  # S2's has expired
        },
    )
    write(tmp_path, "care_consortia", {"consortium_id": ["K1"], "lead_institution_id": ["I1"]})
    write(
        tmp_path,
        "home_care_centres",
        {"centre_id": ["C1"], "township_code": [TOWNSHIP], "lon": [LON], "lat": [north(3300)]},
    )
    (tmp_path / "_lake.json").write_text(
        json.dumps({"format": "minzheng-lake", "snapshot_date": SNAPSHOT.isoformat()})
    )
    return tmp_path


def test_the_institutions_table_has_the_agreed_columns_and_counts_valid_certificates_only(lake):
    table = layout.institutions_table(lake)
    assert tuple(table.column_names) == layout.INSTITUTION_COLUMNS
    assert table.to_pylist() == [
        {
            "institution_id": "I1",
            "region_code": TOWNSHIP,
            "county": COUNTY,
            "lon": LON,
            "lat": LAT,
            "beds_total": 30,
            "beds_nursing": 20,
            "beds_dementia": 2,
            "occupied": 2,
            "carers_certified_valid": 1,
        }
    ]


def test_the_indicators_are_the_hand_computed_ones(lake):
    rows = {r["code"]: r for r in layout.indicators(lake, COUNTY)}
    row = rows[COUNTY]
    assert row["older"] == 5
    assert row["beds_per_10k"] == 30 / 5 * 10_000
    assert row["nursing_share"] == round(100 * 20 / 30, 2)
    assert row["dementia_beds_per_10k"] == 2 / 5 * 10_000
    assert row["carers_per_10k"] == 1 / 5 * 10_000
    assert row["consortia"] == 1
    assert row["meets"] == {
        "beds_per_10k": True,
        "nursing_share": True,
        "dementia_beds_per_10k": True,
        "carers_per_10k": True,
    }


def test_a_city_gets_its_own_row_and_one_per_county(lake):
    rows = layout.indicators(lake, "3301")
    assert [(r["code"], r["level"], r["older"]) for r in rows] == [
        ("330100", "city", 5),
        (COUNTY, "county", 5),
    ]
    assert rows[0]["name"] == "杭州市"


def test_the_plan_indicators_7_to_9_carry_value_and_targets(lake):
    found = layout.plan_indicators(lake, "330000")
    assert [(i["no"], i["value"]) for i in found] == [
        (7, 2000.0),
        (8, round(100 * 20 / 30, 2)),
        (9, 1),
    ]
    assert [(i["actual_2020"], i["target_2022"], i["target_2025"]) for i in found] == [
        (16, 20, 25),
        (53, 55, 58),
        (100, 400, 1000),
    ]


def test_the_consortia_target_is_the_provinces_only(lake):
    found = {i["no"]: i for i in layout.plan_indicators(lake, COUNTY)}
    assert found[9]["target_2025"] is None
    assert found[7]["target_2025"] == 25


def test_coverage_counts_main_urban_older_people_within_1_km_and_a_site_closes_the_gap(lake):
    result = layout.layout(lake, COUNTY, sites=1)
    total = result.coverage[-1]
    assert total["code"] == COUNTY
    assert total["older"] == 4  # H3 is rural, P3 is 59, P7 died
    assert total["covered"] == 3  # H1 (500 m of the institution), H4 (300 m of the centre)
    assert total["share"] == 75.0
    assert total["covered_institution"] == 2
    assert total["share_institution"] == 50.0
    assert [s["newly_covered"] for s in result.sites] == [1]  # H2, 1,500 m away
    assert result.after == {"older": 4, "covered": 4, "share": 100.0}
    assert result.note == layout.STRAIGHT_LINE


def test_the_suggested_site_lies_within_1_km_of_the_home_it_covers(lake):
    site = layout.layout(lake, COUNTY, sites=1).sites[0]
    metres = math.hypot(
        (site["lon"] - LON) * METRES_PER_DEGREE_LAT * math.cos(math.radians(LAT)),
        (site["lat"] - north(1500)) * METRES_PER_DEGREE_LAT,
    )
    assert metres <= 1000
    assert site["county"] == COUNTY


def test_the_projection_gives_metres(lake):
    to_m = layout.projector(LON, LAT)
    x, y = to_m.transform([LON, LON], [LAT, north(1000)])
    assert abs((y[1] - y[0]) - 1000) < 2  # 110,852 m a degree is itself rounded
    assert abs(x[1] - x[0]) < 1e-6


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_mclp_covers_as_much_as_brute_force(seed):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 4000, (25, 2))
    weights = rng.integers(1, 10, 25).astype(float)
    candidates = rng.uniform(0, 4000, (9, 2))
    radius, k = 1000.0, 3

    def covered(chosen):
        if not chosen:
            return 0.0
        d = np.sqrt(((demand[:, None, :] - candidates[list(chosen)][None, :, :]) ** 2).sum(-1))
        return float(weights[(d <= radius).any(axis=1)].sum())

    best = max(covered(c) for c in itertools.combinations(range(len(candidates)), k))
    chosen = layout.maximal_cover(demand, weights, candidates, radius, k)
    assert len(chosen) == k
    assert covered(chosen) == best


def test_the_mclp_takes_every_candidate_when_k_is_at_least_their_number():
    demand = np.array([[0.0, 0.0]])
    assert layout.maximal_cover(demand, [1.0], np.array([[0.0, 0.0], [9.0, 9.0]]), 10.0, 5) == [
        0,
        1,
    ]


@pytest.mark.parametrize("city", ["339900", "330199", "abc", "", "3301", "3" * 5000])
def test_an_unknown_city_is_refused_naming_the_field(lake, city):
    with pytest.raises(layout.LayoutError) as found:
        layout.layout(lake, city, sites=1)
    assert found.value.code == "unknown_region"
    assert found.value.params["field"] == "city"
    assert len(str(found.value)) < 200


@pytest.mark.parametrize("sites", [0, -1, 201, True, 1.5, "3"])
def test_a_number_of_sites_that_is_not_1_to_200_is_refused(lake, sites):
    with pytest.raises(layout.LayoutError) as found:
        layout.layout(lake, COUNTY, sites=sites)
    assert found.value.code == "bad_sites"
    assert found.value.params["field"] == "sites"


def test_an_area_without_institutions_is_refused_with_its_name(lake):
    with pytest.raises(layout.LayoutError) as found:
        layout.layout(lake, "330106", sites=1)  # 西湖区: nothing in the lake
    assert found.value.code == "no_institutions"
    assert found.value.params["area"] == "西湖区"


def test_the_whole_province_is_refused_for_coverage(lake):
    with pytest.raises(layout.LayoutError) as found:
        layout.layout(lake, "330000", sites=1)
    assert found.value.code == "whole_province"


def test_a_lake_without_a_feed_is_refused_naming_it(lake):
    import shutil

    shutil.rmtree(lake / "home_care_centres")
    with pytest.raises(layout.LayoutError) as found:
        layout.layout(lake, COUNTY, sites=1)
    assert found.value.params["feed"] == "home_care_centres"


def test_the_output_is_json_or_csv_and_never_replaces_a_file(lake, tmp_path):
    result = layout.layout(lake, COUNTY, sites=1)
    out = tmp_path / "out" / "layout.json"
    out.parent.mkdir()
    assert layout.write(result, out) == [out]
    assert json.loads(out.read_text("utf-8"))["after"]["share"] == 100.0
    with pytest.raises(FileExistsError):
        layout.write(result, out)
    csv_out = tmp_path / "out" / "layout.csv"
    written = layout.write(result, csv_out)
    assert [p.name for p in written] == ["layout.csv", "layout-sites.csv"]
    assert csv_out.read_text("utf-8-sig").splitlines()[1].startswith(f"{COUNTY},上城区,county,5,")
    with pytest.raises(layout.LayoutError) as found:
        layout.write(result, tmp_path / "out" / "layout.xlsx")
    assert found.value.params["field"] == "out"


def test_every_target_names_its_source():
    targets = layout.load_targets()
    assert {t.key for t in targets.values() if t.number} == {
        "carers_per_10k",
        "nursing_share",
        "consortia",
    }
    assert all(t.source and t.label and t.target_2025 for t in targets.values())


@pytest.mark.lake
def test_the_layout_of_the_small_lake_is_consistent(small_lake):
    result = layout.layout(small_lake, "330200", sites=3)  # 宁波市: its institutions
    total = result.coverage[-1]
    assert 0 < total["older"]
    assert 0 <= total["covered_institution"] <= total["covered"] <= total["older"]
    assert total["covered"] + total["newly_covered"] == result.after["covered"]
    assert len(result.sites) <= 3
    assert sum(s["newly_covered"] for s in result.sites) == total["newly_covered"]
    city = result.indicators[0]
    assert city["code"] == "330200"
    assert city["older"] == sum(r["older"] for r in result.indicators[1:])


def test_the_command_prints_the_table_in_chinese_and_writes_json_once(lake, tmp_path):
    from typer.testing import CliRunner

    from minzheng.cli import app

    out = tmp_path / "plan.json"
    args = ["eldercare", "layout", "--lake", str(lake), "--city", COUNTY, "--sites", "1"]
    first = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "上城区" in first.output
    assert "直线距离" in first.output
    assert json.loads(out.read_text("utf-8"))["coverage"][-1]["share"] == 75.0
    again = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 1
    assert "不会覆盖" in again.output


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--city", "339900"], 'city = "339900"'),
        (["--sites", "0"], "sites = 0"),
        (["--out", "plan.xlsx"], ".json"),
    ],
)
def test_the_command_refuses_bad_input_naming_the_field(lake, extra, said):
    from typer.testing import CliRunner

    from minzheng.cli import app

    args = ["eldercare", "layout", "--lake", str(lake), "--city", COUNTY, *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert said in result.output
