"""One county's people, households, department feeds and civil-affairs registries.

Everything is vectorised with NumPy and Arrow; a county's random stream depends only on
(seed, county code), so counties can be generated in any order or in parallel and the
result is the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minzheng.exchange.feeds import FEEDS
from minzheng.synth import devices
from minzheng.synth.calibration import Calibration
from minzheng.synth.eldercare import generate_eldercare
from minzheng.synth.geography import County, largest_remainder
from minzheng.synth.ids import coded, distinct, id_numbers, sequence_numbers
from minzheng.synth.names import draw_names

DAY = np.timedelta64(1, "D")
# Relation codes as in the household file of the policy engine.
RELATIONS = ["head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other"]
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD = 0, 1, 2, 3, 4
OTHER_PROVINCES = np.array([34, 36, 51, 52, 41, 43, 42, 35, 45, 53, 32, 37])
# Household classes (ground truth, written to truth/ only).
NONE, DIBAO, DIBIAN = 0, 1, 2
# Household composition knobs, tuned so that the age targets of calibration.yaml are met.
ELDER_MEAN_EXCESS = 14.0  # years above 60 of elderly heads (exponential): 65+/60+ ≈ 0.70
OLD_SINGLE_SHARE = 0.35
EMPTY_NEST_SHARE = 0.40
CHILD_GAP = (21.5, 31)  # a child's age below the head's


@dataclass(frozen=True)
class Quotas:
    """Province-level counts already split among counties (exact totals)."""

    persons: int
    institutions: int
    beds: int
    dementia_beds: int
    certified_carers: int
    social_orgs: int
    children_protected: int
    consortia: int = 0  # care and rehabilitation consortia (康养联合体), led by institutions


def _table(columns: dict[str, object]) -> pa.Table:
    return pa.table(
        {
            k: v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v)
            for k, v in columns.items()
        }
    )


def _money(values: np.ndarray) -> pa.Array:
    """Yuan rounded to the fen, as exact decimal(14, 2)."""
    fen = np.floor(np.asarray(values, dtype=np.float64) * 100 + 0.5).astype(np.int64)
    # decimal128 stores 16-byte little-endian unscaled integers: low word, then the sign.
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = np.where(fen < 0, -1, 0)
    return pa.Array.from_buffers(
        pa.decimal128(14, 2), len(fen), [None, pa.py_buffer(words.tobytes())]
    )


def _feed(name: str, snapshot: dt.date, columns: dict[str, object]) -> pa.Table:
    """A feed table as declared (`minzheng.exchange.feeds`): its columns, then the sending
    department and the snapshot date."""
    declared = FEEDS[name]
    own = [c.name for c in declared.columns]
    if list(columns) != own:
        raise AssertionError(
            f"{name}: generated columns {list(columns)} are not the declared {own}"
        )
    table = _table(columns)
    return table.append_column(
        "department", _const(declared.department, table.num_rows)
    ).append_column("snapshot_date", _const(snapshot, table.num_rows))


def _const(value: object, n: int) -> pa.Array:
    """A column of one repeated value (department, snapshot date)."""
    return pa.repeat(pa.scalar(value), int(n))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), pa.date32())


def _weighted_pick(rng, weights: np.ndarray, sizes: np.ndarray, target: float) -> np.ndarray:
    """Indices of households drawn without replacement by weight until `target` persons."""
    if target <= 0 or len(weights) == 0:
        return np.array([], dtype=np.int64)
    keys = rng.random(len(weights)) ** (1.0 / np.maximum(weights, 1e-9))
    order = np.argsort(-keys, kind="stable")
    cum = np.concatenate([[0], np.cumsum(sizes[order])])
    k = int(np.argmin(np.abs(cum - target)))  # the number of households closest to target
    return np.sort(order[:k])


def generate_county(
    county: County,
    quotas: Quotas,
    calibration: Calibration,
    seed: int,
    snapshot: dt.date,
    *,
    eldercare: bool = True,
) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """Generate one county: (lake tables, truth tables). Without `eldercare`, the tables of
    `minzheng.synth.eldercare` are left out (the others are the same bytes either way)."""
    rng = np.random.default_rng([seed, county.index, 2])
    a = calibration.assumption
    today = np.datetime64(snapshot, "D")
    n = quotas.persons
    S = calibration.dibao_standard(snapshot, county.code)

    # --- households and their sizes -------------------------------------------------------
    probs = np.array(a("household_size_probs"))
    sizes = rng.choice(
        np.arange(1, len(probs) + 1), size=max(16, int(n / 2.0) + 16), p=probs / probs.sum()
    )
    cum = np.cumsum(sizes)
    h = int(np.searchsorted(cum, n)) + 1
    sizes = sizes[:h].copy()
    sizes[-1] -= int(cum[h - 1] - n)
    if sizes[-1] <= 0:
        sizes = sizes[:-1]
        h -= 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    hh = np.repeat(np.arange(h), sizes)
    pos = np.arange(n) - starts[hh]
    urban_h = rng.random(h) < county.urban_share

    # --- composition: heads, spouses, children, parents, grandchildren ---------------------
    size_p = sizes[hh]
    head_age = np.empty(h)
    single = sizes == 1
    old_single = rng.random(h) < OLD_SINGLE_SHARE
    elderly_age = 60 + np.minimum(rng.exponential(ELDER_MEAN_EXCESS, h), 40)
    head_age[single] = np.where(
        old_single[single], elderly_age[single], rng.uniform(19, 60, single.sum())
    )
    two = sizes == 2
    couple2 = rng.random(h) < 0.66
    empty_nest = rng.random(h) < EMPTY_NEST_SHARE
    head_age[two] = np.where(empty_nest[two], elderly_age[two] - 2, rng.uniform(22, 58, two.sum()))
    big = sizes >= 3
    head_age[big] = np.clip(rng.normal(43, 10, big.sum()), 24, 80)
    three_gen = big & (rng.random(h) < np.where(sizes >= 4, 0.4, 0.18))
    grand_head = big & ~three_gen & (head_age >= 52) & (rng.random(h) < 0.6)

    rel = np.full(n, CHILD, dtype=np.int8)
    ha = head_age[hh]
    age = np.empty(n)
    is_head = pos == 0
    rel[is_head] = HEAD
    age[is_head] = ha[is_head]
    has_spouse = np.where(sizes == 2, couple2, big & (rng.random(h) < 0.9))
    sp = (pos == 1) & has_spouse[hh]
    rel[sp] = SPOUSE
    age[sp] = np.clip(ha[sp] + rng.normal(-2, 3, sp.sum()), 18, 100)
    # parents occupy the last one or two places of three-generation households
    n_par = np.where(three_gen, np.where(sizes >= 5, 2, 1), 0)
    par = three_gen[hh] & (pos >= size_p - n_par[hh])
    rel[par] = PARENT
    age[par] = np.clip(ha[par] + rng.uniform(24, 33, par.sum()), 0, 102)
    kid = ~is_head & ~sp & ~par
    order_in_kids = pos - 1 - has_spouse[hh].astype(int)
    kid_age = ha - rng.uniform(*CHILD_GAP, n) - 2.5 * order_in_kids
    grand = kid & grand_head[hh] & (order_in_kids >= 1)
    rel[grand] = GRANDCHILD
    age[grand] = np.clip(ha[grand] - rng.uniform(48, 60, grand.sum()), 0, 30)
    plain_kid = kid & ~grand
    age[plain_kid] = np.clip(kid_age[plain_kid], 0, 70)
    # two-person households without a couple: a parent and an (often adult) child
    age = np.floor(age).astype(np.int64)

    male = np.empty(n, dtype=bool)
    head_male = rng.random(h) < 0.7
    male[is_head] = head_male[hh[is_head]]
    male[sp] = ~head_male[hh[sp]]
    rest = ~is_head & ~sp
    male[rest] = rng.random(rest.sum()) < calibration.assumption("male_share")

    birth = today - (age * 365.25).astype(np.int64) * DAY - rng.integers(0, 365, n) * DAY
    years = (today.astype("datetime64[Y]") - birth.astype("datetime64[Y]")).astype(np.int64)
    bday_passed = (birth - birth.astype("datetime64[Y]")) <= (today - today.astype("datetime64[Y]"))
    age = years - (~bday_passed).astype(np.int64)

    # --- ID numbers and names --------------------------------------------------------------
    region = np.full(n, int(county.code), dtype=np.int64)
    migrant = rng.random(n) < a("migrant_id_share")
    # Migrants' ID prefixes encode the county's ordinal, so no two counties share one.
    k = county.ordinal
    region[migrant] = (
        rng.choice(OTHER_PROVINCES, migrant.sum()) * 10000 + (k // 20 + 1) * 100 + (k % 20 + 1)
    )
    seq = sequence_numbers(region, birth.astype(np.int64), male, rng)
    ids = id_numbers(region, birth, seq)
    names = draw_names(rng, n)

    # --- status, marriage, school, deaths --------------------------------------------------
    adult = age >= 18
    status = np.zeros(n, dtype=np.int8)  # normal
    u = rng.random(n)
    status[adult & (u < 0.0010)] = 1  # prison
    status[adult & (u >= 0.0010) & (u < 0.0012)] = 2  # drug_rehab
    status[adult & (u >= 0.0012) & (u < 0.0013)] = 3  # clergy_away
    status[adult & (u >= 0.0013) & (u < 0.0015)] = 4  # missing
    statuses = np.array(["normal", "prison", "drug_rehab", "clergy_away", "missing"])
    married = (
        (rel == HEAD) & has_spouse[hh] | (rel == SPOUSE) | ((rel == PARENT) & (rng.random(n) < 0.6))
    )
    married |= (rel == CHILD) & (age >= 28) & (rng.random(n) < 0.3)
    marital = np.where(married, "married", "unmarried").astype(object)
    alone = ~married & (age >= 30)
    v = rng.random(n)
    marital[alone & (age >= 60) & (v < 0.7)] = "widowed"
    marital[alone & (v >= 0.7) & (v < 0.85)] = "divorced"
    marital[age < 20] = "unmarried"
    stage = np.full(n, "", dtype=object)
    stage[(age >= 3) & (age <= 5)] = "preschool"
    stage[(age >= 6) & (age <= 11)] = "primary"
    stage[(age >= 12) & (age <= 14)] = "junior"
    stage[(age >= 15) & (age <= 17) & (rng.random(n) < 0.92)] = "senior"
    stage[(age >= 18) & (age <= 22) & (rng.random(n) < 0.6)] = "tertiary"
    q = np.minimum(a("annual_mortality_base") * 2.0 ** ((age - 40) / 8.0), 0.5)
    dead = rng.random(n) < q
    death_date = today - rng.integers(0, 365, n) * DAY

    # --- disability and capability ---------------------------------------------------------
    dis_p = a("disability_share") * np.where(age >= 60, 2.2, np.where(age < 18, 0.3, 0.8))
    disabled = rng.random(n) < dis_p
    grade = np.where(disabled, rng.choice([1, 2, 3, 4], n, p=[0.1, 0.2, 0.3, 0.4]), 0)
    kinds = np.array(
        ["physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple"]
    )
    kind = rng.choice(len(kinds), n, p=[0.5, 0.12, 0.12, 0.02, 0.08, 0.1, 0.06])
    older = age >= 60
    assessed = older & (rng.random(n) < a("capability_assessed_share"))
    cap = np.where(
        age >= 80,
        rng.choice(5, n, p=[0.3, 0.25, 0.2, 0.15, 0.1]),
        rng.choice(5, n, p=[0.6, 0.2, 0.1, 0.06, 0.04]),
    )

    # --- household classes: 低保, 低边 and the rest ------------------------------------------
    has_old = np.bincount(hh, weights=older, minlength=h) > 0
    has_dis = np.bincount(hh, weights=grade.astype(bool) & (grade <= 2), minlength=h) > 0
    w = (1 + 2 * has_old + 2 * has_dis) * np.where(sizes <= 2, 1.5, 1.0)
    missed = a("dibao_missed_share")
    dibao_target = (
        calibration.target("dibao_recipients").value
        / calibration.raw["population"]["province_total"]["value"]
    )
    rural_share_t = calibration.target("dibao_rural_share").value
    urban_t = calibration.target("urban_share").value
    tekun_rate = a("tekun_share")
    cls = np.zeros(h, dtype=np.int8)
    n_urban = sizes[urban_h].sum()
    n_rural = sizes[~urban_h].sum()
    for is_urban, persons, share in (
        (True, n_urban, 1 - rural_share_t),
        (False, n_rural, rural_share_t),
    ):
        rate = (
            (dibao_target / (1 - missed) + tekun_rate)
            * share
            / (urban_t if is_urban else 1 - urban_t)
        )
        idx = np.flatnonzero(urban_h == is_urban)
        pick = _weighted_pick(rng, w[idx], sizes[idx], rate * persons)
        cls[idx[pick]] = DIBAO
        rest_idx = idx[cls[idx] == NONE]
        rate_b = a("dibian_share") * share / (urban_t if is_urban else 1 - urban_t)
        pick_b = _weighted_pick(rng, w[rest_idx], sizes[rest_idx], rate_b * persons)
        cls[rest_idx[pick_b]] = DIBIAN
    poor_h = cls == DIBAO
    poor = poor_h[hh]
    near = (cls == DIBIAN)[hh]

    # --- incomes (monthly yuan) -------------------------------------------------------------
    target_pc = np.where(
        urban_h,
        calibration.target("income_urban_yearly").value / 12,
        calibration.target("income_rural_yearly").value / 12,
    )
    floor_pc = 2.0 * S
    pc_income = np.empty(h)
    base = rng.lognormal(0.0, 0.75, h)
    pc_income[:] = floor_pc + base
    pc_income[cls == DIBAO] = rng.uniform(0.15, 0.9, (cls == DIBAO).sum()) * S
    pc_income[cls == DIBIAN] = rng.uniform(1.05, 1.45, (cls == DIBIAN).sum()) * S
    # scale the part above the floor so that the person-weighted mean hits the target exactly
    for is_urban in (True, False):
        sel = (urban_h == is_urban) & (cls == NONE)
        if not sel.any():
            continue
        group = urban_h == is_urban
        want_total = target_pc[group][0] * sizes[group].sum()
        fixed = (pc_income[group & ~sel] * sizes[group & ~sel]).sum() + floor_pc * sizes[sel].sum()
        excess = (base[sel] * sizes[sel]).sum()
        factor = max(0.0, (want_total - fixed) / excess)
        pc_income[sel] = floor_pc + base[sel] * factor
    total_h = pc_income * sizes

    employed = (
        (age >= 18)
        & (age <= 59)
        & (stage == "")
        & (status == 0)
        & (rng.random(n) < np.where(urban_h[hh], 0.80, 0.76) * np.where(age >= 55, 0.6, 1.0))
    )
    employed |= (age >= 60) & (age <= 64) & (rng.random(n) < 0.15)
    employed &= ~near  # 低边 households live on pensions and property (no earned income)
    pension_scheme = np.where(
        older, np.where(rng.random(n) < np.where(urban_h[hh], 0.75, 0.3), 1, 2), 0
    )
    pension = np.where(
        pension_scheme == 1,
        rng.lognormal(np.log(a("pension_employee_monthly")) - 0.06, 0.35, n),
        np.where(
            pension_scheme == 2, rng.uniform(0.7, 1.3, n) * a("pension_resident_monthly"), 0.0
        ),
    )
    # pensions never exceed 90% of the household's income; the rest is earned or property
    pen_h = np.bincount(hh, weights=pension, minlength=h)
    cap_f = np.minimum(1.0, 0.9 * total_h / np.maximum(pen_h, 1e-9))
    cap_f[cls == DIBIAN] = np.minimum(
        1.0, total_h[cls == DIBIAN] / np.maximum(pen_h[cls == DIBIAN], 1e-9)
    )
    pension = pension * cap_f[hh]
    pen_h = np.bincount(hh, weights=pension, minlength=h)
    remainder = np.maximum(0.0, total_h - pen_h)
    earn_w = np.where(employed, rng.uniform(0.6, 1.4, n), 0.0)
    earn_h = np.bincount(hh, weights=earn_w, minlength=h)
    has_earner = earn_h > 0
    prop_part = np.where(has_earner, np.where(rng.random(h) < 0.1, 0.1, 0.0), 1.0)
    earned = np.where(
        has_earner[hh],
        remainder[hh] * (1 - prop_part[hh]) * earn_w / np.maximum(earn_h[hh], 1e-9),
        0.0,
    )
    business_owner = employed & (rng.random(n) < 0.08)
    wage = np.where(business_owner, 0.0, earned)
    business = np.where(business_owner, earned, 0.0)
    prop = np.where(is_head, (remainder * prop_part)[hh], 0.0)
    unemployed_reg = (age >= 18) & (age <= 59) & ~employed & (stage == "") & (rng.random(n) < 0.03)
    benefit = np.where(
        unemployed_reg & (rng.random(n) < 0.4) & ~poor & ~near, rng.uniform(1500, 2000, n), 0.0
    )

    # --- assets ----------------------------------------------------------------------------
    non_poor = ~poor & ~near
    income_p = wage + business + prop + pension
    deposits = np.where(adult, rng.lognormal(np.log(np.maximum(income_p, 300) * 10), 0.9, n), 0.0)
    deposits[poor] = np.where(adult[poor], rng.uniform(0, 8, poor.sum()) * S, 0.0)
    deposits[near] = np.where(adult[near], rng.uniform(0, 30, near.sum()) * S, 0.0)
    securities = np.where(
        non_poor & adult & (rng.random(n) < 0.12), rng.lognormal(np.log(80000), 1.0, n), 0.0
    )
    own_home = rng.random(h) < np.where(
        urban_h, a("home_ownership")["urban"], a("home_ownership")["rural"]
    )
    extra = rng.random(h)
    homes_h = np.where(
        own_home, 1 + ((cls == NONE) & (extra < 0.18)) + ((cls == NONE) & (extra < 0.03)), 0
    )
    commercial_h = ((cls == NONE) & (rng.random(h) < 0.03)).astype(np.int64)
    car_h = ((cls == NONE) & (rng.random(h) < a("car_household_share"))).astype(np.int64)
    moto_h = (~urban_h & (rng.random(h) < 0.1)).astype(np.int64)

    # --- planted errors in 低保 enrolment -----------------------------------------------------
    dibao_h = np.flatnonzero(poor_h)
    single_old_or_dis = (sizes == 1) & (has_old | has_dis)
    tekun_want = int(round(tekun_rate * n))
    tekun_cand = dibao_h[single_old_or_dis[dibao_h]]
    tekun_h = np.sort(rng.permutation(tekun_cand)[:tekun_want])
    dibao_h = np.setdiff1d(dibao_h, tekun_h)
    missed_mask = rng.random(len(dibao_h)) < missed
    missed_h = dibao_h[missed_mask]
    enrolled_h = dibao_h[~missed_mask]
    stale_mask = rng.random(len(enrolled_h)) < a("dibao_stale_share")
    stale_h = enrolled_h[stale_mask]
    reasons = np.array(
        ["income_above_standard", "vehicle", "assets_above_limit", "commercial_property", "housing"]
    )
    stale_reason = rng.integers(0, len(reasons), len(stale_h))
    head_idx = starts
    r_income = stale_h[stale_reason == 0]
    prop[head_idx[r_income]] += (
        rng.uniform(1.2, 1.8, len(r_income)) * S - pc_income[r_income]
    ) * sizes[r_income]
    car_h[stale_h[stale_reason == 1]] = 1
    r_assets = stale_h[stale_reason == 2]
    deposits[head_idx[r_assets]] = rng.uniform(40, 60, len(r_assets)) * S * sizes[r_assets]
    commercial_h[stale_h[stale_reason == 3]] = 1
    homes_h[stale_h[stale_reason == 4]] = 2

    # --- medical spending (months of the last year) ----------------------------------------
    med_p = a("medical_oop_share") * np.where(older, 2.0, 0.7)
    med = (rng.random(n) < med_p) & ~near
    annual = rng.lognormal(np.log(np.where(older, 4000, 2000)), 1.0, n)
    annual = np.where(non_poor, np.minimum(annual, 6 * S), annual)
    months_n = rng.integers(1, 7, n)
    med_idx = np.flatnonzero(med)
    rows = np.repeat(med_idx, months_n[med_idx])
    month_no = rng.integers(0, 12, len(rows))
    first_of_month = today.astype("datetime64[M]")
    med_month = (first_of_month - (month_no + 1).astype("timedelta64[M]")).astype("datetime64[D]")
    med_amount = annual[rows] / months_n[rows]

    # ======================================================================================
    tables: dict[str, pa.Table] = {}
    hh_ids = coded(f"H{county.code}", np.arange(1, h + 1), 7)
    village_codes = _assign_villages(rng, county, urban_h)
    tables["hukou_households"] = _feed(
        "hukou_households",
        snapshot,
        {
            "household_id": hh_ids,
            "village_code": village_codes,
            "township_code": pc.utf8_slice_codeunits(village_codes, 0, 9),
            "urban": urban_h,
            "size": sizes.astype(np.int16),
        },
    )
    hh_of_person = hh_ids.take(pa.array(hh))
    tables["hukou_persons"] = _feed(
        "hukou_persons",
        snapshot,
        {
            "id_number": ids,
            "name": names,
            "sex": np.where(male, "M", "F"),
            "birth_date": _dates(birth),
            "household_id": hh_of_person,
            "relation": np.array(RELATIONS)[rel],
            "marital_status": marital.astype(str),
            "status": statuses[status],
            "school_stage": stage.astype(str),
        },
    )
    di = np.flatnonzero(dead)
    tables["deaths"] = _feed(
        "deaths",
        snapshot,
        {
            "id_number": ids.take(pa.array(di)),
            "death_date": _dates(death_date[di]),
        },
    )
    wi = np.flatnonzero(wage > 0)
    start = today - rng.integers(30, 365 * 15, len(wi)) * DAY
    tables["si_wages"] = _feed(
        "si_wages",
        snapshot,
        {
            "id_number": ids.take(pa.array(wi)),
            "employer_code": coded("91" + county.code, rng.integers(0, 10**9, len(wi)), 10),
            "monthly_wage": _money(wage[wi]),
            "employment_start": _dates(start),
            "insured": rng.random(len(wi)) < 0.92,
        },
    )
    pi = np.flatnonzero(pension > 0)
    tables["pensions"] = _feed(
        "pensions",
        snapshot,
        {
            "id_number": ids.take(pa.array(pi)),
            "scheme": np.where(pension_scheme[pi] == 1, "employee", "resident"),
            "monthly_amount": _money(pension[pi]),
        },
    )
    ui = np.flatnonzero(unemployed_reg)
    tables["unemployment"] = _feed(
        "unemployment",
        snapshot,
        {
            "id_number": ids.take(pa.array(ui)),
            "registered_date": _dates(today - rng.integers(10, 720, len(ui)) * DAY),
            "monthly_benefit": _money(benefit[ui]),
        },
    )
    ti = np.flatnonzero((wage + business + prop) > 0)
    tables["tax_income"] = _feed(
        "tax_income",
        snapshot,
        {
            "id_number": ids.take(pa.array(ti)),
            "tax_year": np.full(len(ti), snapshot.year, dtype=np.int16),
            "wage_monthly": _money(wage[ti]),
            "business_monthly": _money(business[ti]),
            "property_monthly": _money(prop[ti]),
        },
    )
    # real estate: homes and commercial property owned by the head
    owner_h = np.concatenate(
        [np.repeat(np.arange(h), homes_h), np.repeat(np.arange(h), commercial_h)]
    )
    use = np.concatenate(
        [np.full(homes_h.sum(), "residential"), np.full(commercial_h.sum(), "commercial")]
    )
    area = np.where(
        use == "residential",
        np.where(
            urban_h[owner_h], rng.uniform(45, 150, len(owner_h)), rng.uniform(90, 260, len(owner_h))
        ),
        rng.uniform(25, 300, len(owner_h)),
    )
    tables["real_estate"] = _feed(
        "real_estate",
        snapshot,
        {
            "property_id": coded(f"R{county.code}", np.arange(1, len(owner_h) + 1), 8),
            "owner_id_number": ids.take(pa.array(starts[owner_h])),
            "use": use,
            "floor_area_m2": np.round(area, 2),
        },
    )
    dis_vehicle = disabled & (grade <= 2) & (kind == 0) & (rng.random(n) < 0.2)
    v_owner = np.concatenate(
        [
            starts[np.repeat(np.arange(h), car_h)],
            starts[np.repeat(np.arange(h), moto_h)],
            np.flatnonzero(dis_vehicle),
        ]
    )
    v_type = np.concatenate(
        [
            np.full(car_h.sum(), "car"),
            np.full(moto_h.sum(), "motorcycle"),
            np.full(dis_vehicle.sum(), "disability"),
        ]
    )
    tables["vehicles"] = _feed(
        "vehicles",
        snapshot,
        {
            "plate": coded(
                f"浙{county.code[2:6]}", distinct(rng.integers(0, 10**6, len(v_owner))), 6
            ),
            "owner_id_number": ids.take(pa.array(v_owner)),
            "vehicle_type": v_type,
            "exempt": v_type != "car",
        },
    )
    di_ = np.flatnonzero(deposits > 0)
    si_ = np.flatnonzero(securities > 0)
    banks = np.array(["工商银行", "农业银行", "中国银行", "建设银行", "农商银行", "邮储银行"])
    tables["financial_assets"] = _feed(
        "financial_assets",
        snapshot,
        {
            "id_number": ids.take(pa.array(np.concatenate([di_, si_]))),
            "institution": np.concatenate(
                [banks[rng.integers(0, len(banks), len(di_))], np.full(len(si_), "证券登记结算")]
            ),
            "kind": np.concatenate([np.full(len(di_), "deposit"), np.full(len(si_), "securities")]),
            "balance": _money(np.concatenate([deposits[di_], securities[si_]])),
        },
    )
    bi = np.flatnonzero(business_owner)
    tables["businesses"] = _feed(
        "businesses",
        snapshot,
        {
            "credit_code": coded("92" + county.code, distinct(rng.integers(0, 10**9, len(bi))), 10),
            "owner_id_number": ids.take(pa.array(bi)),
            "kind": np.where(rng.random(len(bi)) < 0.85, "individual", "company"),
            "registered_capital": _money(rng.lognormal(np.log(50000), 1.0, len(bi))),
            "status": np.where(rng.random(len(bi)) < 0.95, "active", "revoked"),
        },
    )
    fi = np.flatnonzero((wage > 0) & (rng.random(n) < np.where(urban_h[hh], 0.6, 0.25)))
    contrib = 0.24 * wage[fi]
    tables["housing_fund"] = _feed(
        "housing_fund",
        snapshot,
        {
            "id_number": ids.take(pa.array(fi)),
            "monthly_contribution": _money(contrib),
            "balance": _money(contrib * rng.uniform(6, 120, len(fi))),
        },
    )
    tables["medical_oop"] = _feed(
        "medical_oop",
        snapshot,
        {
            "id_number": ids.take(pa.array(rows)),
            "month": _dates(med_month),
            "oop_amount": _money(med_amount),
        },
    )
    ci = np.flatnonzero(disabled)
    tables["disability_certs"] = _feed(
        "disability_certs",
        snapshot,
        {
            "id_number": ids.take(pa.array(ci)),
            "cert_no": pc.binary_join_element_wise(
                ids.take(pa.array(ci)), pa.array(grade[ci].astype(str), pa.string()), "1", ""
            ),
            "grade": grade[ci].astype(np.int8),
            "kind": kinds[kind[ci]],
            "issued_date": _dates(today - rng.integers(30, 3650, len(ci)) * DAY),
        },
    )
    ai = np.flatnonzero(assessed)
    tables["elderly_capability"] = _feed(
        "elderly_capability",
        snapshot,
        {
            "id_number": ids.take(pa.array(ai)),
            "assessed_date": _dates(today - rng.integers(0, 730, len(ai)) * DAY),
            "grade": cap[ai].astype(np.int8),
        },
    )
    # ---- civil-affairs registries ----------------------------------------------------------
    # programme → enrolled person indices (insertion order is the row order)
    enrolled: dict[str, np.ndarray] = {
        "dibao": np.flatnonzero(np.isin(hh, enrolled_h)),
        "dibian": np.flatnonzero(near),
        "tekun": starts[tekun_h],
    }
    tekun_p = enrolled["tekun"]
    # disability subsidies: care for grades 1–2 and grade 3 intellectual/mental
    care_ok = disabled & ((grade <= 2) | ((grade == 3) & np.isin(kind, [4, 5])))
    care_ok &= ~np.isin(np.arange(n), tekun_p)
    care_missed = care_ok & (rng.random(n) < a("disability_care_missed_share"))
    care_stale = (
        disabled
        & (grade == 4)
        & (kind == 0)
        & (rng.random(n) < a("disability_care_stale_share") * 4)
    )
    enrolled["disability_care"] = np.flatnonzero((care_ok & ~care_missed) | care_stale)
    in_assist = np.isin(hh, np.concatenate([enrolled_h, np.flatnonzero(cls == DIBIAN)]))
    enrolled["disability_living"] = np.flatnonzero(disabled & in_assist)
    # children under protection: 困境儿童 first from assisted households, then the rest
    kids = np.flatnonzero(age < 18)
    kid_w = (
        1
        + 20 * in_assist[kids]
        + 10 * (disabled[kids] & (grade[kids] <= 2))
        + 5 * (rel[kids] == GRANDCHILD)
    )
    kid_keys = rng.random(len(kids)) ** (1.0 / kid_w)
    chosen = kids[np.argsort(-kid_keys, kind="stable")[: quotas.children_protected]]
    chosen = np.sort(chosen)
    cat_draw = rng.random(len(chosen))
    cat = np.where(
        cat_draw < a("orphan_share_of_children"),
        "orphan",
        np.where(
            cat_draw < a("orphan_share_of_children") + a("de_facto_share_of_children"),
            "de_facto_unsupported",
            "kunjing",
        ),
    )
    parent_states = np.array(
        ["deceased", "missing", "prison", "severe_disability", "serious_illness", "rehab"]
    )
    father = np.where(
        cat == "orphan",
        np.where(rng.random(len(chosen)) < 0.85, "deceased", "missing"),
        np.where(
            cat == "de_facto_unsupported", parent_states[rng.integers(0, 6, len(chosen))], "alive"
        ),
    )
    mother = np.where(
        cat == "orphan",
        np.where(rng.random(len(chosen)) < 0.85, "deceased", "missing"),
        np.where(
            cat == "de_facto_unsupported", parent_states[rng.integers(0, 6, len(chosen))], "alive"
        ),
    )
    tables["children_registry"] = _feed(
        "children_registry",
        snapshot,
        {
            "id_number": ids.take(pa.array(chosen)),
            "category": cat,
            "father_status": father,
            "mother_status": mother,
            "placement": np.where(
                (cat == "orphan") & (rng.random(len(chosen)) < 0.3), "institution", "family"
            ),
        },
    )
    for category, programme in (
        ("orphan", "orphan"),
        ("de_facto_unsupported", "de_facto_child"),
        ("kunjing", "kunjing_child"),
    ):
        enrolled[programme] = chosen[cat == category]
    ep = np.concatenate(list(enrolled.values()))
    progs = np.concatenate([np.full(len(p), name) for name, p in enrolled.items()])
    tables["enrolments"] = _feed(
        "enrolments",
        snapshot,
        {
            "id_number": ids.take(pa.array(ep)),
            "household_id": hh_ids.take(pa.array(hh[ep])),
            "programme": progs,
            "start_date": _dates(today - rng.integers(30, 365 * 6, len(ep)) * DAY),
        },
    )
    tables.update(_institutions(rng, county, quotas, today, calibration))
    # social workers and volunteers are residents
    n_sw = int(round(calibration.target("social_workers_per_10k").value * n / 10000))
    adults = np.flatnonzero((age >= 22) & (age <= 65))
    sw = (
        np.sort(rng.choice(adults, min(n_sw, len(adults)), replace=False))
        if len(adults)
        else adults
    )
    tables["social_workers"] = _feed(
        "social_workers",
        snapshot,
        {
            "certificate_no": coded(f"SW{county.code}", np.arange(1, len(sw) + 1), 6),
            "id_number": ids.take(pa.array(sw)),
            "level": np.array(["assistant", "intermediate", "senior"])[
                rng.choice(3, len(sw), p=[0.75, 0.24, 0.01])
            ],
        },
    )
    vi = np.flatnonzero((age >= 14) & (rng.random(n) < a("volunteer_share") / 0.88))
    tables["volunteers"] = _feed(
        "volunteers",
        snapshot,
        {
            "volunteer_id": coded(f"V{county.code}", np.arange(1, len(vi) + 1), 8),
            "id_number": ids.take(pa.array(vi)),
            "hours_12m": np.round(rng.gamma(1.2, 20, len(vi)), 1),
        },
    )

    low_income_h = np.zeros(h, dtype=bool)
    low_income_h[np.concatenate([enrolled_h, tekun_h, np.flatnonzero(cls == DIBIAN)])] = True
    events, signal_truth = _signal_events(
        np.random.default_rng([seed, county.index, 3]),  # a stream of its own: the feeds
        today=today,  # above are the same with or without the events
        a=a,
        S=S,
        ids=ids,
        hh_ids=hh_ids,
        hh=hh,
        starts=starts,
        wage=wage,
        dead=dead,
        death_date=death_date,
        age=age,
        low_income_h=low_income_h,
        settled_h=~low_income_h,
        medical=(rows, med_month, med_amount),
        tables=tables,
    )
    tables.update(events)
    device_rng = np.random.default_rng([seed, county.index, 4])  # a stream of its own
    people = (ids, hh_ids, hh, age, dead)
    device_feeds, device_truth = devices.generate(device_rng, county.code, today, a, *people)
    tables.update({name: _feed(name, snapshot, cols) for name, cols in device_feeds.items()})

    care_truth: dict[str, pa.Table] = {}
    if eldercare:
        care, care_truth = generate_eldercare(
            np.random.default_rng([seed, county.index, 5]),  # a stream of its own, too
            county=county,
            consortia=quotas.consortia,
            calibration=calibration,
            today=today,
            feed=lambda name, columns: _feed(name, snapshot, columns),
            ids=ids,
            hh_ids=hh_ids,
            hh=hh,
            age=age,
            capability=cap,
            dead=dead,
            tekun=tekun_p,
            low_income_h=low_income_h,
            village_codes=village_codes,
            tables=tables,
        )
        tables.update(care)

    # ---- truth (never read by the platform) ---------------------------------------------
    t_h = np.concatenate([stale_h, missed_h])
    t_kind = np.concatenate(
        [
            np.full(len(stale_h), "enrolled_ineligible"),
            np.full(len(missed_h), "eligible_not_enrolled"),
        ]
    )
    t_reason = np.concatenate([reasons[stale_reason], np.full(len(missed_h), "")])
    care_p = np.concatenate([np.flatnonzero(care_stale & ~care_ok), np.flatnonzero(care_missed)])
    care_kind = np.concatenate(
        [
            np.full((care_stale & ~care_ok).sum(), "enrolled_ineligible"),
            np.full(care_missed.sum(), "eligible_not_enrolled"),
        ]
    )
    truth = {
        "planted_errors": _table(
            {
                "programme": np.concatenate(
                    [np.full(len(t_h), "dibao"), np.full(len(care_p), "disability_care")]
                ),
                "household_id": pa.concat_arrays(
                    [hh_ids.take(pa.array(t_h)), hh_ids.take(pa.array(hh[care_p]))]
                ),
                "id_number": pa.concat_arrays(
                    [ids.take(pa.array(starts[t_h])), ids.take(pa.array(care_p))]
                ),
                "kind": np.concatenate([t_kind, care_kind]),
                "reason": np.concatenate(
                    [t_reason, np.where(care_kind == "enrolled_ineligible", "grade_4_physical", "")]
                ),
            }
        ),
        "signals": signal_truth,
        "device_emergencies": device_truth,
        "households": _table(
            {
                "household_id": hh_ids,
                "class": np.array(["none", "dibao", "dibian"])[cls],
                "tekun": np.isin(np.arange(h), tekun_h),
                "per_capita_income": _money(pc_income),
                "dibao_standard": _money(np.full(h, S)),
            }
        ),
        **care_truth,
    }
    return tables, truth


def _assign_villages(rng, county: County, urban_h: np.ndarray) -> pa.Array:
    urban_v = [v["code"] for v in county.villages if v["urban_rural"] == "urban"]
    rural_v = [v["code"] for v in county.villages if v["urban_rural"] == "rural"] or urban_v
    urban_v = urban_v or rural_v
    out = np.where(
        urban_h,
        np.array(urban_v)[rng.integers(0, len(urban_v), len(urban_h))],
        np.array(rural_v)[rng.integers(0, len(rural_v), len(urban_h))],
    )
    return pa.array(out, pa.string())


def _institutions(
    rng, county: County, quotas: Quotas, today, calibration: Calibration
) -> dict[str, pa.Table]:
    """Elderly-care institutions with beds and staff, and social organisations."""
    snapshot = today.item()
    k = quotas.institutions
    if k:
        beds = largest_remainder(quotas.beds, rng.gamma(2.0, 1.0, k) + 0.2)
        share = calibration.target("nursing_bed_share").value
        nursing = largest_remainder(int(round(share * quotas.beds)), beds + 1e-9)
        nursing = np.minimum(nursing, beds)
        dementia = np.minimum(largest_remainder(quotas.dementia_beds, nursing + 1e-9), nursing)
    else:
        beds = nursing = dementia = np.array([], dtype=np.int64)
    towns = [t["code"] for t in county.townships]
    inst_ids = coded(f"Y{county.code}", np.arange(1, k + 1), 4)
    out = {
        "care_institutions": _feed(
            "care_institutions",
            snapshot,
            {
                "institution_id": inst_ids,
                "name": pa.array([f"{county.name}第{i + 1}养老院" for i in range(k)], pa.string()),
                "township_code": pa.array(
                    np.array(towns)[rng.integers(0, len(towns), k)], pa.string()
                ),
                "ownership": np.where(rng.random(k) < 0.4, "public", "private"),
                "beds": beds.astype(np.int32),
                "nursing_beds": nursing.astype(np.int32),
                "dementia_beds": dementia.astype(np.int32),
            },
        )
    }
    staff_per = np.maximum(1, np.ceil(beds / 4).astype(np.int64)) if k else beds
    inst_of_staff = np.repeat(np.arange(k), staff_per)
    m = len(inst_of_staff)
    certified_total = quotas.certified_carers
    certified = np.zeros(m, dtype=bool)
    if m:
        certified[rng.choice(m, min(certified_total, m), replace=False)] = True
    out["care_staff"] = _feed(
        "care_staff",
        snapshot,
        {
            "staff_id": coded(f"S{county.code}", np.arange(1, m + 1), 6),
            "institution_id": inst_ids.take(pa.array(inst_of_staff))
            if m
            else pa.array([], pa.string()),
            "role": np.where(certified | (rng.random(m) < 0.4), "carer", "other"),
            "certified": certified,
        },
    )
    j = quotas.social_orgs
    out["social_orgs"] = _feed(
        "social_orgs",
        snapshot,
        {
            "org_id": coded("51" + county.code, np.arange(1, j + 1), 10),
            "kind": np.array(["association", "service_org", "foundation"])[
                rng.choice(3, j, p=[0.45, 0.54, 0.01])
            ],
            "registered_date": _dates(today - rng.integers(30, 365 * 30, j) * DAY),
            "township_code": pa.array(np.array(towns)[rng.integers(0, len(towns), j)], pa.string()),
        },
    )
    return out


# The situations the warning signals look for, as the generator defines them (its own truth,
# independent of the platform's rule file): look-back windows in days (the snapshot and the
# days before it, up to and including the last), the medical burden in yuan over a year, and
# the fall of a household's insured wages as a share.
RECENT_DAYS, YEAR_DAYS = 183, 365
EPOCH = np.datetime64("1900-01-01", "D")  # "never", below every date
EVENT_SIGNALS = (
    "earner_died",
    "medical_spending",
    "unemployed_low_income",
    "new_severe_disability",
    "wage_fall",
)


def _signal_events(
    rng,
    *,
    today,
    a,
    S: float,
    ids: pa.Array,
    hh_ids: pa.Array,
    hh: np.ndarray,
    starts: np.ndarray,
    wage: np.ndarray,
    dead: np.ndarray,
    death_date: np.ndarray,
    age: np.ndarray,
    low_income_h: np.ndarray,
    settled_h: np.ndarray,
    medical: tuple[np.ndarray, np.ndarray, np.ndarray],
    tables: dict[str, pa.Table],
) -> tuple[dict[str, pa.Table], pa.Table]:
    """The event feeds of the warning signals — changes of insured wages, and exits from
    assistance and rejected applications — and the planted truth of every signal: which
    households are in each situation on the snapshot date, by the generator's definitions.

    Planted: sharp falls of a household's main earner's wage, jobs lost before an
    unemployment registration, and, for a share of the recent exits and rejections, a fall
    after the decision (a household whose situation got worse); around them, small changes
    of wages either way that no signal should raise."""
    snapshot = today.item()
    h, n = len(settled_h), len(hh)
    days_ago = lambda d: (today - d).astype("timedelta64[D]").astype(np.int64)  # noqa: E731
    living = ~dead
    # the main earner of each household: the highest wage above 0 (−1: none)
    order = np.lexsort((-wage, hh))
    first = order[_starts(hh[order])]
    earner = np.full(h, -1)
    earner[hh[first]] = np.where(wage[first] > 0, first, -1)

    # --- exits from assistance and rejected applications (two years) ----------------------
    candidates = np.flatnonzero(settled_h)
    n_exit = int(round(a("assistance_exit_share") * h))
    n_rej = int(round(a("assistance_rejected_share") * h))
    picked = rng.permutation(candidates)[: n_exit + n_rej]
    outcome = np.where(np.arange(len(picked)) < n_exit, "exit", "rejected")
    decided = today - rng.integers(0, 2 * YEAR_DAYS, len(picked)) * DAY
    reasons = np.where(
        outcome == "exit",
        np.array(["income_above_standard", "assets_above_limit", "moved_away", "voluntary"])[
            rng.choice(4, len(picked), p=[0.6, 0.2, 0.1, 0.1])
        ],
        np.array(["income_above_standard", "assets_above_limit", "incomplete"])[
            rng.choice(3, len(picked), p=[0.6, 0.3, 0.1])
        ],
    )
    exits = _feed(
        "assistance_exits",
        snapshot,
        {
            "household_id": hh_ids.take(pa.array(picked)),
            "id_number": ids.take(pa.array(starts[picked])),
            "programme": np.where(rng.random(len(picked)) < 0.9, "dibao", "dibian"),
            "outcome": outcome,
            "decided_date": _dates(decided),
            "reason": reasons,
        },
    )

    # --- changes of insured wages (one a person at most) ----------------------------------
    changed = np.zeros(n, dtype=bool)
    rows: list[
        tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ] = []  # who, when, before, after

    def change(who: np.ndarray, when: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        changed[who] = True
        rows.append((who, when, before, after))

    # worse after a recent decision: the main earner's wage falls after it
    recent = (days_ago(decided) < YEAR_DAYS) & (earner[picked] >= 0)
    worse = np.flatnonzero(recent & (rng.random(len(picked)) < a("exit_worsened_share")))
    who = earner[picked[worse]]
    since = days_ago(decided[worse])
    when = today - rng.integers(0, np.maximum(since, 1)) * DAY
    change(who, when, wage[who] / rng.uniform(0.15, 0.45, len(who)), wage[who])
    # sharp falls of a main earner's wage
    fall_h = np.flatnonzero((earner >= 0) & (rng.random(h) < a("wage_fall_share")))
    who = earner[fall_h]
    who = who[~changed[who]]
    when = today - rng.integers(0, YEAR_DAYS, len(who)) * DAY
    change(who, when, wage[who] / rng.uniform(0.15, 0.6, len(who)), wage[who])
    # insured jobs that ended before an unemployment registration of the last year
    reg_date = tables["unemployment"].column("registered_date").to_numpy().astype("datetime64[D]")
    unemployed = _row_persons(ids, tables["unemployment"].column("id_number"))
    lost = (days_ago(reg_date) < YEAR_DAYS) & (
        rng.random(len(unemployed)) < a("job_loss_insured_share")
    )
    who = unemployed[lost]
    change(
        who,
        reg_date[lost] - rng.integers(0, 30, len(who)) * DAY,
        S * rng.uniform(2.5, 6.0, len(who)),
        np.zeros(len(who)),
    )
    # small changes either way
    noise = np.flatnonzero((wage > 0) & ~changed & (rng.random(n) < a("wage_change_share")))
    change(
        noise,
        today - rng.integers(0, YEAR_DAYS, len(noise)) * DAY,
        wage[noise] * rng.uniform(0.85, 1.15, len(noise)),
        wage[noise],
    )
    who, when, before, after = (np.concatenate(c) for c in zip(*rows, strict=True))
    before, after = np.round(before, 2), np.round(after, 2)
    wage_changes = _feed(
        "wage_changes",
        snapshot,
        {
            "id_number": ids.take(pa.array(who)),
            "change_date": _dates(when),
            "wage_before": _money(before),
            "wage_after": _money(after),
        },
    )

    # --- the truth of every signal ------------------------------------------------------
    truth: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # persons, households, dates

    def planted(name: str, persons: np.ndarray, dates: np.ndarray) -> None:
        truth[name] = (persons, hh[persons], dates)

    p = np.flatnonzero(dead & (days_ago(death_date) <= RECENT_DAYS))
    p = p[earner[hh[p]] == p]
    planted("earner_died", p, death_date[p])
    med_rows, med_month, med_amount = medical
    last_year = days_ago(med_month) <= YEAR_DAYS
    spent = np.bincount(
        med_rows[last_year], weights=np.round(med_amount[last_year], 2), minlength=n
    )
    latest = np.full(n, EPOCH, "datetime64[D]")
    np.maximum.at(latest, med_rows[last_year], med_month[last_year])
    p = np.flatnonzero(living & (spent >= a("truth_medical_burden")))
    planted("medical_spending", p, latest[p])
    recent_reg = days_ago(reg_date) <= RECENT_DAYS
    p, d = unemployed[recent_reg], reg_date[recent_reg]
    keep = living[p] & low_income_h[hh[p]]
    planted("unemployed_low_income", p[keep], d[keep])
    certs = tables["disability_certs"]
    issued = certs.column("issued_date").to_numpy().astype("datetime64[D]")
    holders = _row_persons(ids, certs.column("id_number"))
    new = (certs.column("grade").to_numpy() <= 2) & (days_ago(issued) <= RECENT_DAYS)
    keep = new & living[holders]
    planted("new_severe_disability", holders[keep], issued[keep])
    living_size = np.bincount(hh, weights=living, minlength=h)
    p = np.flatnonzero(living & (age >= 80) & (living_size[hh] == 1))
    planted("old_alone", p, np.full(len(p), today))
    kids = tables["children_registry"]
    away = ("deceased", "missing", "prison")
    both = pc.and_(
        pc.is_in(kids.column("father_status"), pa.array(away)),
        pc.is_in(kids.column("mother_status"), pa.array(away)),
    ).to_numpy(zero_copy_only=False)
    p = _row_persons(ids, kids.column("id_number"))[both]
    p = p[living[p]]
    planted("child_without_parents", p, np.full(len(p), today))
    window = (days_ago(when) <= RECENT_DAYS) & living[who]  # the wages of the living
    lost_wage = np.bincount(hh[who[window]], weights=(before - after)[window], minlength=h)
    base = np.bincount(hh, weights=np.round(wage, 2) * living, minlength=h) + lost_wage
    fell = np.flatnonzero((lost_wage > 0) & (lost_wage >= a("truth_wage_fall") * base))
    # the household's member with the largest fall, and its last change
    by_fall = np.lexsort((-(before - after)[window], hh[who[window]]))
    hw = hh[who[window]][by_fall]
    top = who[window][by_fall][_starts(hw)]
    last = np.full(h, EPOCH, "datetime64[D]")
    np.maximum.at(last, hh[who[window]], when[window])
    top_of = np.full(h, -1)
    top_of[hh[top]] = top
    planted("wage_fall", top_of[fell], last[fell])
    # a recent exit or rejection followed by an event of another signal
    later = np.full(h, EPOCH, "datetime64[D]")
    for name in EVENT_SIGNALS:
        _p, households, dates = truth[name]
        np.maximum.at(later, households, dates)
    recent = days_ago(decided) <= YEAR_DAYS
    keep = recent & (later[picked] > decided)
    planted("exit_worsened", starts[picked[keep]], decided[keep])

    names = list(truth)
    persons = np.concatenate([truth[k][0] for k in names]).astype(np.int64)
    table = _table(
        {
            "signal": np.concatenate([np.full(len(truth[k][0]), k) for k in names]),
            "household_id": hh_ids.take(pa.array(hh[persons])),
            "id_number": ids.take(pa.array(persons)),
            "date": _dates(np.concatenate([truth[k][2] for k in names])),
        }
    )
    return {"wage_changes": wage_changes, "assistance_exits": exits}, table


def _row_persons(ids: pa.Array, column: pa.ChunkedArray) -> np.ndarray:
    """The person index of each row's ID number."""
    return pc.index_in(column, value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)


def _starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal sorted keys starts (empty for no keys)."""
    return np.r_[True, keys[1:] != keys[:-1]][: len(keys)]
