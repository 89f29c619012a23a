"""Elder care (浙里养) of one county: institutions' details and residents, carers'
certificates, care and rehabilitation consortia (康养联合体), and home and community services
(home-care centres, meal points and meals, home-care visits with electronic visit
verification, home-care beds, respite care, home adaptations, and the homes of older people).

Everything here draws from a random stream of its own, `[seed, county.index, 5]`, and only
reads the tables `population.generate_county` made before: the lake's other tables are the
same bytes with or without these.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from minzheng.synth.calibration import Calibration
from minzheng.synth.geography import County
from minzheng.synth.ids import coded

DAY = np.timedelta64(1, "D")
STAR_P = [0.40, 0.22, 0.18, 0.12, 0.06, 0.02]  # grades 0 (not graded) to 5
CERT_LEVELS = np.array(["junior", "intermediate", "senior", "technician"])
CERT_LEVEL_P = [0.55, 0.30, 0.12, 0.03]
CERT_YEARS = 5  # a care-worker certificate's validity (assumption)
FIRST_AID_YEARS = 3  # a first-aid (救护员) certificate's validity
CONSORTIUM_LEVELS = np.array(["province", "city", "county", "township"])
CONSORTIUM_LEVEL_P = [0.03, 0.12, 0.35, 0.50]
SERVICE_ITEMS = np.array(
    [
        "personal_care",
        "housekeeping",
        "bathing",
        "meal_help",
        "rehabilitation",
        "health_check",
        "companionship",
    ]
)
SERVICE_P = [0.25, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1]
# Degrees of latitude per km, and of longitude per km at Zhejiang's latitude (about 29°N).
LAT_KM, LON_KM = 1 / 111.0, 1 / 97.0


def generate_eldercare(
    rng: np.random.Generator,
    *,
    county: County,
    consortia: int,
    calibration: Calibration,
    today: np.datetime64,
    feed,
    ids: pa.Array,
    hh_ids: pa.Array,
    hh: np.ndarray,
    age: np.ndarray,
    capability: np.ndarray,
    dead: np.ndarray,
    tekun: np.ndarray,
    low_income_h: np.ndarray,
    village_codes: pa.Array,
    tables: dict[str, pa.Table],
) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """(lake tables, truth tables) of the county's elder care.

    `feed(name, columns)` makes a declared feed table; `capability` is every person's
    capability grade 0–4 (the generator's own, assessed or not), `tekun` the indices of the
    persons supported as 特困."""
    a = calibration.assumption
    n, h = len(hh), len(low_income_h)
    out: dict[str, pa.Table] = {}
    anomalies: list[tuple[str, pa.Array, np.ndarray]] = []  # (table, record ids, kinds)

    # --- institutions -------------------------------------------------------------------
    inst = tables["care_institutions"]
    k = inst.num_rows
    inst_ids = inst.column("institution_id").combine_chunks()
    towns = np.array(inst.column("township_code").to_pylist(), dtype=object)
    town_by_code = {t["code"]: t for t in county.townships}
    rural = np.array([int(t[6:9]) >= 100 for t in towns], dtype=bool)
    public = np.array(inst.column("ownership").to_pylist(), dtype=object) == "public"
    beds = inst.column("beds").to_numpy()
    nursing = inst.column("nursing_beds").to_numpy()
    dementia = inst.column("dementia_beds").to_numpy()
    u = rng.random(k)
    kind = np.where(
        ~public,
        "private",
        np.where(
            rural & (u < a("jinglaoyuan_share_of_rural_public")),
            "jinglaoyuan",
            np.where(rng.random(k) < 0.45, "public_private", "public"),
        ),
    )
    star = rng.choice(6, k, p=STAR_P)
    graded = today - rng.integers(30, 3 * 365, k) * DAY
    t_lon = np.array([town_by_code[t]["lon"] for t in towns], dtype=float)
    t_lat = np.array([town_by_code[t]["lat"] for t in towns], dtype=float)
    out["care_institution_details"] = feed(
        "care_institution_details",
        {
            "institution_id": inst_ids,
            "kind": pa.array(kind, pa.string()),
            "star_grade": star.astype(np.int8),
            "star_graded_date": pa.array(
                graded.astype("datetime64[D]"), pa.date32(), mask=star == 0
            ),
            "lon": np.round(t_lon + rng.normal(0, 1.5 * LON_KM, k), 6),
            "lat": np.round(t_lat + rng.normal(0, 1.5 * LAT_KM, k), 6),
            "ordinary_beds": (beds - nursing).astype(np.int32),
        },
    )

    # --- residents: occupied beds, older people in them ----------------------------------
    living_old = np.flatnonzero((age >= 60) & ~dead)
    total_beds = int(beds.sum())
    bed_inst = np.repeat(np.arange(k), beds)
    bed_no = np.arange(total_beds) - np.repeat(np.cumsum(beds) - beds, beds)
    # beds are dementia-care first, then the other nursing beds, then ordinary ones
    bed_type = np.where(
        bed_no < dementia[bed_inst],
        "dementia",
        np.where(bed_no < nursing[bed_inst], "nursing", "ordinary"),
    )
    occ = np.clip(rng.normal(a("institution_occupancy"), 0.12, k), 0.05, 1.0)
    occupied = np.flatnonzero(rng.random(total_beds) < occ[bed_inst])
    occupied = occupied[: len(living_old)]
    # 特困 older people first, into the county's 敬老院 (or public institutions)
    tekun_old = np.intersect1d(tekun, living_old)
    home_kind = np.isin(kind, ["jinglaoyuan"]) if (kind == "jinglaoyuan").any() else public
    slots_t = occupied[home_kind[bed_inst[occupied]]]
    tekun_in = rng.permutation(tekun_old)[: len(slots_t)]
    slots_t = rng.permutation(slots_t)[: len(tekun_in)]
    rest_slots = np.setdiff1d(occupied, slots_t)
    others = np.setdiff1d(living_old, tekun_in)
    w = (1.0 + 3.0 * capability[others]) * np.where(age[others] >= 80, 2.0, 1.0)
    keys = rng.random(len(others)) ** (1.0 / w)
    chosen = others[np.argsort(-keys, kind="stable")[: len(rest_slots)]]
    # the neediest into nursing and dementia beds: order both by need, a little shuffled
    need = capability[chosen] + rng.uniform(0, 1.5, len(chosen))
    priority = np.select(
        [bed_type[rest_slots] == "dementia", bed_type[rest_slots] == "nursing"], [0, 1], 2
    )
    slot_order = np.lexsort((rng.random(len(rest_slots)), priority))
    person_order = np.argsort(-need, kind="stable")
    slots = np.concatenate([slots_t, rest_slots[slot_order]])
    persons = np.concatenate([tekun_in, chosen[person_order]])
    bed_ids = _join(inst_ids.take(pa.array(bed_inst[slots])), "-", bed_no[slots] + 1, 4)
    out["care_residents"] = feed(
        "care_residents",
        {
            "id_number": ids.take(pa.array(persons, pa.int64())),
            "institution_id": inst_ids.take(pa.array(bed_inst[slots], pa.int64())),
            "bed_id": bed_ids,
            "bed_type": pa.array(bed_type[slots], pa.string()),
            "admission_date": _dates(today - rng.integers(0, 6 * 365, len(slots)) * DAY),
        },
    )
    in_institution = np.zeros(n, dtype=bool)
    in_institution[persons] = True

    # --- carers' certificates: 16 valid per 10,000 older people (the plan's 2020 figure) --
    staff = tables["care_staff"]
    cert = np.flatnonzero(staff.column("certified").to_numpy(zero_copy_only=False))
    m = len(cert)
    valid_share = a("certified_carers_valid_share")
    expired = np.zeros(m, dtype=bool)
    expired[rng.permutation(m)[: m - int(round(m * valid_share))]] = True
    years = CERT_YEARS * 365
    issued = np.where(
        expired,
        today - (years + rng.integers(1, 3 * 365, m)) * DAY,
        today - rng.integers(30, years - 1, m) * DAY,
    )
    first_aid = rng.random(m) < a("first_aid_share_of_certified")
    fa_expired = first_aid & (rng.random(m) < a("first_aid_expired_share"))
    fa_issued = np.where(
        fa_expired,
        today - (FIRST_AID_YEARS * 365 + rng.integers(1, 2 * 365, m)) * DAY,
        today - rng.integers(30, FIRST_AID_YEARS * 365 - 1, m) * DAY,
    )
    cert_no = coded(f"ZJ{county.code}YL", np.arange(1, m + 1), 6)
    staff_ids = staff.column("staff_id").combine_chunks().take(pa.array(cert, pa.int64()))
    out["care_staff_certificates"] = feed(
        "care_staff_certificates",
        {
            "staff_id": staff_ids,
            "certificate_level": pa.array(
                CERT_LEVELS[rng.choice(4, m, p=CERT_LEVEL_P)], pa.string()
            ),
            "certificate_no": cert_no,
            "issued_date": _dates(issued),
            "expiry_date": _dates(_add_years(issued, CERT_YEARS)),
            "first_aid": first_aid,
            "first_aid_expiry_date": pa.array(
                _add_years(fa_issued, FIRST_AID_YEARS), pa.date32(), mask=~first_aid
            ),
        },
    )
    anomalies.append(("care_staff_certificates", cert_no.filter(pa.array(expired)), "expired"))
    anomalies.append(
        ("care_staff_certificates", cert_no.filter(pa.array(fa_expired)), "first_aid_expired")
    )

    # --- home-care centres (one a township) and meal points ------------------------------
    t = len(county.townships)
    t_codes = np.array([x["code"] for x in county.townships])
    centre_ids = coded("JY", t_codes.astype(np.int64), 9)
    c_lon = np.array([x["lon"] for x in county.townships]) + rng.normal(0, 0.5 * LON_KM, t)
    c_lat = np.array([x["lat"] for x in county.townships]) + rng.normal(0, 0.5 * LAT_KM, t)
    out["home_care_centres"] = feed(
        "home_care_centres",
        {
            "centre_id": centre_ids,
            "name": pa.array([f"{x['name']}居家养老服务中心" for x in county.townships]),
            "township_code": pa.array(t_codes, pa.string()),
            "lon": np.round(c_lon, 6),
            "lat": np.round(c_lat, 6),
        },
    )
    town_index = {code: i for i, code in enumerate(t_codes)}
    v_codes = np.array([v["code"] for v in county.villages])
    v_lon = np.array([v["lon"] for v in county.villages], dtype=float)
    v_lat = np.array([v["lat"] for v in county.villages], dtype=float)
    v_town = np.array([town_index[v["parent_code"]] for v in county.villages])
    first_village = np.unique(v_town, return_index=True)[1]  # every township has one
    # the centre's own canteen, in its township's first village, then village canteens
    extra = np.flatnonzero(rng.random(len(v_codes)) < a("village_meal_point_share"))
    extra = np.setdiff1d(extra, first_village)
    p_village = np.concatenate([first_village, extra])
    p_centre = v_town[p_village]
    n_points = len(p_village)
    point_ids = coded(f"ZC{county.code}", np.arange(1, n_points + 1), 5)
    p_lon = np.concatenate([c_lon, v_lon[extra] + rng.normal(0, 0.3 * LON_KM, len(extra))])
    p_lat = np.concatenate([c_lat, v_lat[extra] + rng.normal(0, 0.3 * LAT_KM, len(extra))])
    out["meal_points"] = feed(
        "meal_points",
        {
            "point_id": point_ids,
            "centre_id": centre_ids.take(pa.array(p_centre, pa.int64())),
            "village_code": pa.array(v_codes[p_village], pa.string()),
            "lon": np.round(p_lon, 6),
            "lat": np.round(p_lat, 6),
        },
    )

    # --- care and rehabilitation consortia (康养联合体), led by an institution --------------
    c = min(consortia, k)
    lead = rng.choice(k, c, replace=False, p=(beds + 1) / (beds + 1).sum()) if c else beds[:0]
    level_i = rng.choice(4, c, p=CONSORTIUM_LEVEL_P)
    regions = np.array(["330000", county.city, county.code, ""], dtype=object)[level_i]
    regions[level_i == 3] = towns[lead[level_i == 3]]
    scale_by_level = np.array([4.0, 2.0, 1.0, 0.5])[level_i]
    cons_ids = coded(f"KY{county.code}", np.arange(1, c + 1), 3)
    out["care_consortia"] = feed(
        "care_consortia",
        {
            "consortium_id": cons_ids,
            "name": pa.array([f"{county.name}第{i + 1}康养联合体" for i in range(c)], pa.string()),
            "level": pa.array(CONSORTIUM_LEVELS[level_i], pa.string()),
            "region_code": pa.array(regions.astype(str), pa.string()),
            "lead_institution_id": inst_ids.take(pa.array(lead, pa.int64())),
            "rehab_beds": np.round(scale_by_level * rng.uniform(5, 15, c)).astype(np.int16),
            "rehab_physicians": rng.poisson(scale_by_level * 0.8, c).astype(np.int16),
            "rehab_therapists": (1 + rng.poisson(scale_by_level * 1.5, c)).astype(np.int16),
        },
    )
    m_cons, m_ids, m_kind, m_role = [], [], [], []
    inst_list = inst_ids.to_pylist()
    for i in range(c):
        others = np.setdiff1d(np.arange(k), [lead[i]])
        extra = rng.permutation(others)[: rng.integers(0, 5)]
        members = [inst_list[lead[i]]] + [inst_list[j] for j in np.sort(extra)]
        members.append("JY" + towns[lead[i]])  # the home-care centre of the lead's township
        m_cons += [cons_ids[i].as_py()] * len(members)
        m_ids += members
        m_kind += ["institution"] * (len(members) - 1) + ["home_care_centre"]
        m_role += ["lead"] + ["member"] * (len(members) - 1)
    out["care_consortium_members"] = feed(
        "care_consortium_members",
        {
            "consortium_id": pa.array(m_cons, pa.string()),
            "member_id": pa.array(m_ids, pa.string()),
            "member_kind": pa.array(m_kind, pa.string()),
            "role": pa.array(m_role, pa.string()),
        },
    )

    # --- homes of older people -----------------------------------------------------------
    vil = village_codes.to_numpy(zero_copy_only=False).astype(str)
    v_of_h = np.searchsorted(v_codes, vil)  # village codes are sorted within the county
    has_old = np.bincount(hh[living_old], minlength=h) > 0
    old_h = np.flatnonzero(has_old)
    home_lon = v_lon[v_of_h] + rng.normal(0, 0.4 * LON_KM, h)
    home_lat = v_lat[v_of_h] + rng.normal(0, 0.4 * LAT_KM, h)
    out["household_locations"] = feed(
        "household_locations",
        {
            "household_id": hh_ids.take(pa.array(old_h, pa.int64())),
            "lon": np.round(home_lon[old_h], 6),
            "lat": np.round(home_lat[old_h], 6),
        },
    )
    at_home = living_old[~in_institution[living_old]]
    town_of_p = v_town[v_of_h[hh]]

    # --- meals of the snapshot's month -------------------------------------------------------
    month0 = today.astype("datetime64[M]").astype("datetime64[D]")
    month_days = int((today - month0).astype(np.int64)) + 1
    diners = at_home[rng.random(len(at_home)) < a("meal_aid_share_of_older")]
    per = rng.poisson(a("meals_per_diner_month"), len(diners))
    who = np.repeat(diners, per)
    by_town = np.argsort(p_centre, kind="stable")  # every township has a point
    first_pt = np.searchsorted(p_centre[by_town], np.arange(t))
    count_pt = np.bincount(p_centre, minlength=t)
    town_w = town_of_p[who]
    point = by_town[first_pt[town_w] + (rng.random(len(who)) * count_pt[town_w]).astype(np.int64)]
    delivery = (age[who] >= 80) & (rng.random(len(who)) < 0.6) | (rng.random(len(who)) < 0.15)
    price = np.round(rng.uniform(10, 15, len(who)), 0)
    subsidy = np.where(age[who] >= 80, 5.0, 3.0) + np.where(low_income_h[hh[who]], 3.0, 0.0)
    out["meal_orders"] = feed(
        "meal_orders",
        {
            "order_id": coded(f"ZO{county.code}", np.arange(1, len(who) + 1), 8),
            "point_id": point_ids.take(pa.array(point, pa.int64())),
            "id_number": ids.take(pa.array(who, pa.int64())),
            "order_date": _dates(month0 + rng.integers(0, month_days, len(who)) * DAY),
            "mode": pa.array(np.where(delivery, "delivery", "dine_in"), pa.string()),
            "price": _money(price),
            "subsidy": _money(np.minimum(subsidy, price)),
        },
    )

    # --- home-care workers and visits (electronic visit verification) -------------------------
    need_w = (1 + capability[at_home]) / 2  # the frailer, the likelier
    clients = at_home[rng.random(len(at_home)) < a("home_care_share_of_older") * need_w]
    per_town = np.bincount(town_of_p[clients], minlength=t)
    workers_n = np.where(per_town > 0, np.maximum(1, np.ceil(per_town / 8)), 0).astype(np.int64)
    pool = np.flatnonzero((age >= 30) & (age <= 59) & ~dead)
    if workers_n.sum() > len(pool):  # a county too small for its own carers
        workers_n[:] = 0
    workers = rng.choice(pool, int(workers_n.sum()), replace=False)
    w_town = np.repeat(np.arange(t), workers_n)
    worker_ids = coded(f"W{county.code}", np.arange(1, len(workers) + 1), 5)
    out["home_care_workers"] = feed(
        "home_care_workers",
        {
            "worker_id": worker_ids,
            "centre_id": centre_ids.take(pa.array(w_town, pa.int64())),
            "id_number": ids.take(pa.array(workers, pa.int64())),
        },
    )
    if len(workers) == 0:
        clients = clients[:0]
    visits = rng.poisson(a("home_care_visits_month"), len(clients))
    who = np.repeat(clients, visits)
    v = len(who)
    w_first = np.concatenate([[0], np.cumsum(workers_n)[:-1]])
    ward = town_of_p[who]
    worker = w_first[ward] + (rng.random(v) * np.maximum(workers_n[ward], 1)).astype(np.int64)
    planned_start = rng.integers(8 * 4, 17 * 4, v) * 15
    planned_len = rng.choice([30, 60, 90, 120], v, p=[0.2, 0.5, 0.2, 0.1])
    check_in = planned_start + rng.integers(-10, 16, v)
    check_out = check_in + planned_len + rng.integers(-5, 11, v)
    lon0, lat0 = home_lon[hh[who]], home_lat[hh[who]]
    in_lon = lon0 + rng.normal(0, 0.02 * LON_KM, v)
    in_lat = lat0 + rng.normal(0, 0.02 * LAT_KM, v)
    out_lon = lon0 + rng.normal(0, 0.02 * LON_KM, v)
    out_lat = lat0 + rng.normal(0, 0.02 * LAT_KM, v)
    # planted anomalies: far from the home, too short, check-out before check-in
    draw = rng.random(v)
    far = draw < a("evv_far_share")
    short = (draw >= a("evv_far_share")) & (draw < a("evv_far_share") + a("evv_short_share"))
    lim = a("evv_far_share") + a("evv_short_share")
    reversed_ = (draw >= lim) & (draw < lim + a("evv_reversed_share"))
    angle = rng.uniform(0, 2 * np.pi, v)
    km = rng.uniform(3, 15, v)
    in_lon = np.where(far, lon0 + np.cos(angle) * km * LON_KM, in_lon)
    in_lat = np.where(far, lat0 + np.sin(angle) * km * LAT_KM, in_lat)
    check_out = np.where(short, check_in + rng.integers(1, 8, v), check_out)
    check_out = np.where(reversed_, check_in - rng.integers(5, 60, v), check_out)
    order_ids = coded(f"HO{county.code}", np.arange(1, v + 1), 7)
    out["home_care_orders"] = feed(
        "home_care_orders",
        {
            "order_id": order_ids,
            "centre_id": centre_ids.take(pa.array(ward, pa.int64())),
            "worker_id": worker_ids.take(pa.array(worker, pa.int64())),
            "id_number": ids.take(pa.array(who, pa.int64())),
            "service_item": pa.array(SERVICE_ITEMS[rng.choice(7, v, p=SERVICE_P)], pa.string()),
            "service_date": _dates(month0 + rng.integers(0, month_days, v) * DAY),
            "planned_start_minute": planned_start.astype(np.int16),
            "planned_end_minute": (planned_start + planned_len).astype(np.int16),
            "check_in_minute": check_in.astype(np.int16),
            "check_out_minute": check_out.astype(np.int16),
            "check_in_lon": np.round(in_lon, 6),
            "check_in_lat": np.round(in_lat, 6),
            "check_out_lon": np.round(out_lon, 6),
            "check_out_lat": np.round(out_lat, 6),
            "duration_minutes": (check_out - check_in).astype(np.int16),
        },
    )
    for mask, name in (
        (far, "far_from_home"),
        (short, "too_short"),
        (reversed_, "check_out_first"),
    ):
        anomalies.append(("home_care_orders", order_ids.filter(pa.array(mask)), name))

    # --- home-care beds, respite care, home adaptations -------------------------------------
    frail = at_home[capability[at_home] >= 2]
    bed_p = frail[rng.random(len(frail)) < a("home_care_bed_share_of_frail")]
    out["home_care_beds"] = feed(
        "home_care_beds",
        {
            "bed_id": coded(f"JC{county.code}", np.arange(1, len(bed_p) + 1), 6),
            "id_number": ids.take(pa.array(bed_p, pa.int64())),
            "centre_id": centre_ids.take(pa.array(town_of_p[bed_p], pa.int64())),
            "start_date": _dates(today - rng.integers(0, 2 * 365, len(bed_p)) * DAY),
        },
    )
    severe = at_home[capability[at_home] >= 3]
    resp = severe[rng.random(len(severe)) < a("respite_share_of_severe")]
    stays = 1 + rng.poisson(0.5, len(resp))
    rp = np.repeat(resp, stays)
    starts = today - rng.integers(0, 365, len(rp)) * DAY
    first = np.unique(np.stack([rp, starts.astype(np.int64)]), axis=1, return_index=True)[1]
    rp, starts = rp[np.sort(first)], starts[np.sort(first)]  # one stay a person a day
    out["respite_care"] = feed(
        "respite_care",
        {
            "id_number": ids.take(pa.array(rp, pa.int64())),
            "start_date": _dates(starts),
            "days": rng.integers(1, 16, len(rp)).astype(np.int16),
        },
    )
    home_h = np.flatnonzero(np.bincount(hh[at_home], minlength=h) > 0)
    hw = np.where(low_income_h[home_h], 5.0, 1.0)
    adapt_h = home_h[
        rng.random(len(home_h)) < a("home_adaptation_share") * hw / (hw.mean() if len(hw) else 1.0)
    ]
    # the project is in the name of the household's oldest member aged 60+ living at home
    order = np.lexsort((-age[at_home], hh[at_home]))
    oldest = np.full(h, -1)
    firsts = at_home[order][np.r_[True, np.diff(hh[at_home][order]) != 0][: len(at_home)]]
    oldest[hh[firsts]] = firsts
    ap = oldest[adapt_h]
    out["home_adaptations"] = feed(
        "home_adaptations",
        {
            "project_id": coded(f"SL{county.code}", np.arange(1, len(ap) + 1), 6),
            "id_number": ids.take(pa.array(ap, pa.int64())),
            "completed_date": _dates(today - rng.integers(0, 3 * 365, len(ap)) * DAY),
            "cost": _money(np.round(rng.uniform(2000, 8000, len(ap)), -1)),
        },
    )

    truth = {
        "eldercare_anomalies": pa.table(
            {
                "table": pa.array(
                    np.concatenate([np.full(len(r), tb) for tb, r, _k in anomalies]), pa.string()
                ),
                "record_id": pa.concat_arrays([r for _t, r, _k in anomalies]),
                "kind": pa.array(
                    np.concatenate([np.full(len(r), kd) for _t, r, kd in anomalies]), pa.string()
                ),
            }
        )
    }
    return out, truth


def _join(prefix: pa.Array, sep: str, numbers: np.ndarray, width: int) -> pa.Array:
    import pyarrow.compute as pc

    digits = pa.array(
        np.char.zfill(numbers.astype(str), width) if len(numbers) else [], pa.string()
    )
    return pc.binary_join_element_wise(prefix, digits, sep)


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days).astype("datetime64[D]"), pa.date32())


def _add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same day `years` later (29 February → 1 March)."""
    d = np.asarray(days).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    offset = d - y.astype("datetime64[D]")
    later = (y + years).astype("datetime64[D]") + offset
    return later


def _money(values: np.ndarray) -> pa.Array:
    from minzheng.synth.population import _money as money

    return money(values)
