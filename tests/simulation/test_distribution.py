"""The distribution of income and its change: small examples worked out by hand, the
properties every implementation must have (checked against brute force in plain Python),
the same numbers on DuckDB and PySpark, and bad input refused with a clear message."""

from __future__ import annotations

import math
import random
from collections import defaultdict

import ibis
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from minzheng.policy.backends import connect
from minzheng.simulation.distribution import (
    BANDS,
    SimulationError,
    changes,
    decile_of,
    gini,
    lorenz,
    targeting,
)


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


@pytest.fixture(scope="module", params=["duckdb", pytest.param("pyspark", marks=pytest.mark.lake)])
def backend(request):
    return connect(request.param)


def households(**columns) -> ibis.Table:
    return ibis.memtable(pa.table(columns))


def close(a, b, tol: float = 1e-9) -> bool:
    """Equal, floats to `tol` (relative, or absolute near 0), recursively."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    return a == b


def pairwise_gini(incomes: list[float], weights: list[float]) -> float:
    """The mean-difference Gini by brute force: ΣΣ w_i w_j |x_i − x_j| / (2 (Σw)² μ)."""
    persons = sum(weights)
    mean = sum(w * x for w, x in zip(weights, incomes, strict=True)) / persons
    total = sum(
        wi * wj * abs(xi - xj)
        for wi, xi in zip(weights, incomes, strict=True)
        for wj, xj in zip(weights, incomes, strict=True)
    )
    return total / (2 * persons**2 * mean)


def lorenz_by_walking(incomes: list[float], weights: list[float], q: float) -> float:
    """L(q) by walking the sorted households, a household's persons spread evenly."""
    pairs = sorted(zip(incomes, weights, strict=True))
    persons = sum(w for _, w in pairs)
    total = sum(w * x for x, w in pairs)
    want, income = q * persons, 0.0
    for x, w in pairs:
        take = min(w, want)
        income += take * x
        want -= take
        if want <= 0:
            break
    return income / total


# --- deciles ----------------------------------------------------------------------------

# 20 persons, so a decile is 2 persons. Sorted by income, S = the persons below:
#   income  100  150  200  200  300  450  800
#   persons   3    1    4    2    5    3    2
#   S         0    3    4    4   10   15   18
#   decile    1    2    3    3    6    8   10   (1 + ⌊10·S/20⌋)
# The household of 100 (persons 1–3) straddles the boundary 2 and goes to the lower decile;
# the two of 200 share S = 4 (persons 5–10, deciles 3 to 5) and go to 3; the one of 300
# starts exactly on the boundary 10 (persons 11–15) and goes to 6.
DECILE_EXAMPLE = {
    "income": [300, 100, 800, 200, 150, 450, 200],
    "persons": [5, 3, 2, 4, 1, 3, 2],
}
EXPECTED_DECILES = {100: 1, 150: 2, 200: 3, 300: 6, 450: 8, 800: 10}


def test_deciles_by_hand(backend):
    data = households(**DECILE_EXAMPLE, region=["a"] * 7)
    rows = backend.to_pyarrow(decile_of(data, "income", "persons")).to_pylist()
    assert len(rows) == 7
    assert all(row["decile"] == EXPECTED_DECILES[row["income"]] for row in rows)
    # within a region: the same when the region is everyone
    within = backend.to_pyarrow(decile_of(data, "income", "persons", within=["region"]))
    assert {(r["income"], r["decile"]) for r in within.to_pylist()} == set(EXPECTED_DECILES.items())
    # a breakdown by decile: the persons of each decile that has households
    by_decile = changes(
        backend, decile_of(data, "income", "persons"), "income", "income", "persons", by=["decile"]
    )
    assert [(g["decile"], g["persons"]) for g in by_decile] == [
        (1, 3.0),
        (2, 1.0),
        (3, 6.0),
        (6, 5.0),
        (8, 3.0),
        (10, 2.0),
    ]


def test_deciles_within_groups_and_without_income(con):
    # region a: 4 persons, 1 each → S = 0, 1, 2, 3 → deciles 1, 3, 6, 8;
    # region b: one household → decile 1; a household without income gets none.
    data = households(
        income=[1.0, 2.0, 3.0, 4.0, 9.0, None],
        persons=[1, 1, 1, 1, 5, 2],
        region=["a", "a", "a", "a", "b", "b"],
    )
    rows = con.to_pyarrow(decile_of(data, "income", "persons", within=["region"])).to_pylist()
    got = {(r["region"], r["income"]): r["decile"] for r in rows}
    assert got == {
        ("a", 1.0): 1,
        ("a", 2.0): 3,
        ("a", 3.0): 6,
        ("a", 4.0): 8,
        ("b", 9.0): 1,
        ("b", None): None,
    }


# --- changes ----------------------------------------------------------------------------

# group "main", 11 persons:
#   before  after   persons  relative change        band
#     100     90      1      −10 %                  lose more than 5 %
#     100     97      2      −3 %                   lose less than 5 %
#     100    100.05   3      +0.05 %                no change
#     100    102      1      +2 %                   gain less than 5 %
#     100    110      2      +10 %                  gain more than 5 %
#       0     50      1      from 0 to more         gain more than 5 %
#       0      0      1      0 and 0                no change
# Σw·before = 9 × 100 = 900; Σw·after = 90 + 194 + 300.15 + 102 + 220 + 50 + 0 = 956.15.
# Shares: 1/11, 2/11, (3 + 1)/11, 1/11, (2 + 1)/11.
MAIN = [(100, 90, 1), (100, 97, 2), (100, 100.05, 3), (100, 102, 1), (100, 110, 2), (0, 50, 1)]
MAIN.append((0, 0, 1))
# the boundaries, one household a group: (before, after, its band)
EDGES = [
    (200, 190, "lose_less_than_5pct"),  # exactly −5 %
    (200, 210, "gain_less_than_5pct"),  # exactly +5 %
    (1000, 999, "lose_less_than_5pct"),  # exactly −0.1 %
    (1000, 1001, "gain_less_than_5pct"),  # exactly +0.1 %
    (1000, 1000.5, "no_change"),  # +0.05 %
    (0, -10, "lose_more_than_5pct"),  # from 0 to less
    (-100, -50, "gain_more_than_5pct"),  # +50 of |−100|
    (-100, -100.05, "no_change"),  # −0.05 of |−100|
]


def test_changes_by_hand(backend):
    rows = [(b, a, w, "main") for b, a, w in MAIN]
    rows += [(b, a, 1, f"edge{i}") for i, (b, a, _) in enumerate(EDGES)]
    data = households(
        before=[float(r[0]) for r in rows],
        after=[float(r[1]) for r in rows],
        persons=[r[2] for r in rows],
        group=[r[3] for r in rows],
    )
    result = {
        g["group"]: g for g in changes(backend, data, "before", "after", "persons", ["group"])
    }
    main = result["main"]
    assert main["households"] == 7 and main["persons"] == 11.0
    assert math.isclose(main["mean_before"], 900 / 11)
    assert math.isclose(main["mean_after"], 956.15 / 11)
    assert math.isclose(main["mean_change"], 56.15 / 11)
    assert math.isclose(main["relative_change"], 956.15 / 900 - 1)
    expected = dict(zip(BANDS, (1 / 11, 2 / 11, 4 / 11, 1 / 11, 3 / 11), strict=True))
    assert close(main["bands"], expected, 1e-12)
    assert math.isclose(sum(main["bands"].values()), 1.0)
    for i, (_, _, band) in enumerate(EDGES):
        shares = result[f"edge{i}"]["bands"]
        assert shares == {name: float(name == band) for name in BANDS}, (EDGES[i], shares)
    # the baseline of edge 5 is 0: no relative change; of edge 6 negative: against its size
    assert result["edge5"]["relative_change"] is None
    assert result["edge6"]["relative_change"] == 0.5


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(-50, 400),
            st.integers(-50, 400),
            st.integers(1, 6),
            st.sampled_from("xyz"),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_shares_of_the_bands_add_up_to_one(con, rows):
    data = households(
        before=[float(r[0]) for r in rows],
        after=[float(r[1]) for r in rows],
        persons=[r[2] for r in rows],
        kind=[r[3] for r in rows],
    )
    groups = changes(con, data, "before", "after", "persons", ["kind"])
    assert [g["kind"] for g in groups] == sorted({r[3] for r in rows})
    for group in groups:
        assert math.isclose(sum(group["bands"].values()), 1.0)
    [whole] = changes(con, data, "before", "after", "persons")
    assert math.isclose(whole["persons"], sum(g["persons"] for g in groups))
    assert sorted(whole) == sorted(
        ["households", "persons", "mean_before", "mean_after", "mean_change"]
        + ["relative_change", "bands"]
    )


# --- Gini and Lorenz --------------------------------------------------------------------


# incomes 10, 20, 40 with 2, 1, 1 persons: W = 4, Σw·x = 20 + 20 + 40 = 80.
#   p = 1/2, 1/4, 1/4; L = 20/80, 40/80, 80/80 = 1/4, 1/2, 1.
#   G = 1 − [1/2 (0 + 1/4) + 1/4 (1/4 + 1/2) + 1/4 (1/2 + 1)] = 1 − 11/16 = 5/16.
#   Pairwise: μ = 20; ΣΣ w_i w_j |x_i − x_j| = 2 (2·1·10 + 2·1·30 + 1·1·20) = 200;
#   200 / (2 · 16 · 20) = 5/16 as well.
#   Lorenz at 1/4 (one person of 10): 10/80; at 1/2: 20/80; at 3/4: 40/80.
def test_gini_and_lorenz_by_hand(backend):
    data = households(income=[40.0, 10.0, 20.0], persons=[1, 2, 1])
    g = gini(backend, data, "income", "persons")
    assert math.isclose(g, 5 / 16, abs_tol=1e-12)
    assert math.isclose(g, pairwise_gini([10, 20, 40], [2, 1, 1]), abs_tol=1e-12)
    # the small-sample correction W/(W − 1) is not what the trapezoids give
    assert not math.isclose(g, 5 / 16 * 4 / 3)
    curve = lorenz(backend, data, "income", "persons", points=4)
    assert close(curve, [(0.0, 0.0), (0.25, 0.125), (0.5, 0.25), (0.75, 0.5), (1.0, 1.0)])
    # a negative income counts as 0: the same as a household of 0
    negative = households(income=[40.0, 10.0, 20.0, -30.0], persons=[1, 2, 1, 2])
    zero = households(income=[40.0, 10.0, 20.0, 0.0], persons=[1, 2, 1, 2])
    assert gini(backend, negative, "income", "persons") == gini(backend, zero, "income", "persons")


def test_nobody_with_income_is_equality(con):
    data = households(income=[0.0, -5.0], persons=[2, 3])
    assert gini(con, data, "income", "persons") == 0.0
    assert lorenz(con, data, "income", "persons", points=2) == [(0, 0), (0.5, 0.5), (1, 1)]


def test_a_single_point_gives_the_end_points(con):
    data = households(income=[1.0, 3.0], persons=[1, 1])
    assert lorenz(con, data, "income", "persons", points=1) == [(0.0, 0.0), (1.0, 1.0)]


income = st.one_of(st.integers(0, 50), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
sample = st.lists(st.tuples(income, st.integers(0, 7)), min_size=1, max_size=30).filter(
    lambda rows: any(w for _, w in rows)
)


@settings(max_examples=30, deadline=None)
@given(rows=sample, scale=st.sampled_from([0.01, 3.0, 1e4]))
def test_gini_agrees_with_brute_force_and_its_properties(con, rows, scale):
    incomes, weights = [float(x) for x, _ in rows], [w for _, w in rows]
    data = households(income=incomes, persons=weights)
    g = gini(con, data, "income", "persons")
    assert 0.0 <= g < 1.0
    if sum(w * x for x, w in zip(incomes, weights, strict=True)) > 0:
        assert math.isclose(g, pairwise_gini(incomes, weights), rel_tol=1e-9, abs_tol=1e-9)
    scaled = households(income=[x * scale for x in incomes], persons=weights)
    assert math.isclose(gini(con, scaled, "income", "persons"), g, abs_tol=1e-9)
    equal = households(income=[incomes[0]] * len(rows), persons=weights)
    assert gini(con, equal, "income", "persons") == 0.0


@settings(max_examples=30, deadline=None)
@given(rows=sample, points=st.integers(1, 12))
def test_the_lorenz_curve_rises_from_0_to_1_below_the_diagonal(con, rows, points):
    incomes, weights = [float(x) for x, _ in rows], [w for _, w in rows]
    assume(sum(w * x for x, w in zip(incomes, weights, strict=True)) > 0)
    curve = lorenz(con, households(income=incomes, persons=weights), "income", "persons", points)
    assert len(curve) == points + 1 and curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0)
    for k, (share, value) in enumerate(curve):
        assert share == k / points
        assert math.isclose(value, lorenz_by_walking(incomes, weights, share), abs_tol=1e-9)
        assert value <= share + 1e-12
        if k:
            assert value >= curve[k - 1][1] - 1e-12


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 9)), min_size=1, max_size=50))
def test_each_decile_holds_a_tenth_of_the_persons_within_one_household(con, rows):
    """Within the persons of one set of households of the same income, in fact."""
    persons = sum(w for _, w in rows)
    assume(persons > 0)
    data = households(income=[x for x, _ in rows], persons=[w for _, w in rows])
    result = con.to_pyarrow(decile_of(data, "income", "persons")).to_pylist()
    in_decile, at_income = defaultdict(int), defaultdict(int)
    for row in result:
        assert 1 <= row["decile"] <= 10
        in_decile[row["decile"]] += row["persons"]
        at_income[row["income"]] += row["persons"]
    biggest = max(at_income.values())
    for decile in range(1, 11):
        assert abs(in_decile[decile] - persons / 10) <= biggest
    # deciles rise with income
    ordered = sorted((r["income"], r["decile"]) for r in result)
    assert [d for _, d in ordered] == sorted(d for _, d in ordered)


# --- targeting --------------------------------------------------------------------------


# household  covered  ideal  persons  group
#   1          yes     yes      3       g1    rightly covered
#   2          yes     no       2       g1    leaked
#   3          no      yes      4       g2    missed
#   4          no      no       1       g2    rightly left out
# All: leakage 1 of 2 households, 2 of 5 persons; under-coverage 1 of 2, 4 of 7.
# g1: leakage 1/2 and 2/5, under-coverage 0 of 1; g2: none covered (None), 1 of 1 missed.
def test_targeting_by_hand(con):
    data = households(
        covered=[True, True, False, False],
        ideal=[1, 0, 1, 0],  # an integer flag: not 0 is yes
        persons=[3, 2, 4, 1],
        group=["g1", "g1", "g2", "g2"],
    )
    [whole] = targeting(con, data, "covered", "ideal", "persons")
    assert (whole["households"], whole["persons"]) == (4, 10.0)
    assert (whole["covered_households"], whole["covered_persons"]) == (2, 5.0)
    assert (whole["ideal_households"], whole["ideal_persons"]) == (2, 7.0)
    assert (whole["leaked_households"], whole["missed_persons"]) == (1, 4.0)
    assert whole["leakage_households"] == 0.5 and whole["leakage_persons"] == 2 / 5
    assert whole["under_coverage_households"] == 0.5 and whole["under_coverage_persons"] == 4 / 7
    g1, g2 = targeting(con, data, "covered", "ideal", "persons", by=["group"])
    assert g1["group"] == "g1" and g2["group"] == "g2"
    assert (g1["leakage_households"], g1["leakage_persons"]) == (0.5, 0.4)
    assert (g1["under_coverage_households"], g1["under_coverage_persons"]) == (0.0, 0.0)
    assert (g2["leakage_households"], g2["leakage_persons"]) == (None, None)
    assert (g2["under_coverage_households"], g2["under_coverage_persons"]) == (1.0, 1.0)


# --- DuckDB and PySpark -----------------------------------------------------------------


def random_households(seed: int = 14, n: int = 80) -> ibis.Table:
    rng = random.Random(seed)
    before = [round(rng.choice([rng.uniform(-200, 3000), 0.0, 800.0]), 2) for _ in range(n)]
    after = [
        round(b * rng.choice([1.0, 0.9, 1.02, 1.3, 1.0004]) + rng.choice([0, 50]), 2)
        for b in before
    ]
    return households(
        before=before,
        after=after,
        persons=[rng.randint(0, 6) for _ in range(n)],
        city=[rng.choice(["3301", "3302", "3303"]) for _ in range(n)],
        elderly=[rng.random() < 0.3 for _ in range(n)],
        covered=[rng.random() < 0.4 for _ in range(n)],
        ideal=[rng.random() < 0.4 for _ in range(n)],
    )


def everything(con, data: ibis.Table) -> dict:
    with_deciles = decile_of(data, "before", "persons", within=["city"])
    with_deciles = decile_of(with_deciles, "before", "persons", name="national")
    deciles = con.to_pyarrow(with_deciles.select("city", "before", "persons", "decile"))
    return {
        "deciles": sorted(tuple(r.values()) for r in deciles.to_pylist()),
        "by_decile": changes(con, with_deciles, "before", "after", "persons", ["national"]),
        "by_city_decile": changes(
            con, with_deciles, "before", "after", "persons", ["city", "decile"]
        ),
        "by_type": changes(con, data, "before", "after", "persons", ["elderly"]),
        "gini": [gini(con, data, column, "persons") for column in ("before", "after")],
        "lorenz": lorenz(con, data, "after", "persons", points=10),
        "targeting": targeting(con, data, "covered", "ideal", "persons", ["city"]),
    }


@pytest.mark.lake
def test_pyspark_gives_the_same_numbers(con):
    data = random_households()
    on_duckdb = everything(con, data)
    on_spark = everything(connect("pyspark"), data)
    for key, value in on_duckdb.items():
        assert close(on_spark[key], value), key


# --- bad input --------------------------------------------------------------------------

COLUMNS = {
    "region": ["330102", "330102", "330106"],
    "before": [100.0, 200.0, 300.0],
    "after": [110.0, 200.0, 280.0],
    "persons": [2, 3, 1],
    "covered": [True, False, True],
    "ideal": [True, True, False],
}
REGIONS = households(**COLUMNS)


def test_a_decile_breakdown_on_an_empty_region_says_so(con):
    empty = REGIONS.filter(REGIONS.region == "330199")
    with pytest.raises(SimulationError) as caught:
        changes(
            con,
            decile_of(empty, "before", "persons"),
            "before",
            "after",
            "persons",
            ["decile"],
            where="region 330199",
        )
    assert caught.value.code == "empty_table"
    assert str(caught.value) == (
        "Cannot compute the income changes: region 330199 has no households."
    )
    calls = {
        "gini": lambda: gini(con, empty, "before", "persons"),
        "lorenz": lambda: lorenz(con, empty, "before", "persons"),
        "targeting": lambda: targeting(con, empty, "covered", "ideal", "persons", ["region"]),
        "changes": lambda: changes(con, empty, "before", "after", "persons"),
    }
    for name, call in calls.items():
        with pytest.raises(SimulationError, match="the table has no households") as caught:
            call()
        assert caught.value.code == "empty_table", name


def test_a_group_without_persons_is_named(con):
    data = REGIONS.mutate(persons=ibis.ifelse(REGIONS.region == "330106", 0, REGIONS.persons))
    with pytest.raises(SimulationError) as caught:
        changes(con, data, "before", "after", "persons", ["region"], where="Hangzhou")
    assert caught.value.code == "empty_group"
    assert "the group region=330106 of Hangzhou holds no persons" in str(caught.value)
    # targeting counts households still; the persons' ratios have no denominator
    groups = targeting(con, data, "covered", "ideal", "persons", ["region"])
    assert groups[1]["leakage_households"] == 1.0 and groups[1]["leakage_persons"] is None
    nobody = REGIONS.mutate(persons=0)
    for call in (
        lambda: changes(con, nobody, "before", "after", "persons", ["region"]),
        lambda: gini(con, nobody, "before", "persons"),
    ):
        with pytest.raises(SimulationError, match="hold no persons") as caught:
            call()
        assert caught.value.code == "no_persons"


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"persons": [2, -3, -1]},
            "negative_weight",
            "the table has households with a negative weight in persons \\(2\\)",
        ),
        ({"before": [100.0, None, 300.0]}, "missing_value", "without a value in before \\(1\\)"),
        ({"persons": [2, None, 1]}, "missing_value", "without a value in persons"),
        ({"before": ["a", "b", "c"]}, "not_numeric", "column before of the table holds string"),
    ],
)
def test_bad_values_are_refused(con, change, code, message):
    data = households(**(COLUMNS | change))
    for call in (
        lambda: changes(con, data, "before", "after", "persons"),
        lambda: gini(con, data, "before", "persons"),
        lambda: lorenz(con, data, "before", "persons"),
    ):
        with pytest.raises(SimulationError, match=message) as caught:
            call()
        assert caught.value.code == code


def test_bad_columns_and_points_are_refused(con):
    with pytest.raises(SimulationError, match="the table has no column income") as caught:
        decile_of(REGIONS, "income", "persons")
    assert caught.value.code == "unknown_column"
    with pytest.raises(SimulationError, match="has no column city") as caught:
        changes(con, REGIONS, "before", "after", "persons", ["city"])
    with pytest.raises(SimulationError, match="holds string, not yes/no flags") as caught:
        targeting(con, REGIONS, "region", "ideal", "persons")
    assert caught.value.code == "not_flag"
    for points in (0, 2.5, True, 10_001):
        with pytest.raises(SimulationError, match="whole number of points") as caught:
            lorenz(con, REGIONS, "before", "persons", points=points)
        assert caught.value.code == "bad_points"
