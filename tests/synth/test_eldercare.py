"""The elder-care tables of the synthetic province (`minzheng.synth.eldercare`)."""

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from minzheng.synth.calibration import load_calibration
from minzheng.synth.lake import plan
from minzheng.synth.population import generate_county

SEED = 11
CARE_TABLES = {
    "care_institution_details",
    "care_residents",
    "care_staff_certificates",
    "care_consortia",
    "care_consortium_members",
    "home_care_centres",
    "home_care_workers",
    "meal_points",
    "meal_orders",
    "home_care_orders",
    "home_care_beds",
    "respite_care",
    "home_adaptations",
    "household_locations",
}


@pytest.fixture(scope="module")
def counties():
    """Three counties at scale 0.02 (a district, a county-level city and a county), each
    generated with and without the elder-care tables. At this scale a county has about one
    institution; they get eight here (and beds, carers and two consortia to match), so that
    the links between institutions have something to link."""
    calibration = load_calibration()
    all_counties, quotas = plan(0.02, SEED)
    picked = []
    for kind in ("district", "city", "county"):
        i = next(j for j, c in enumerate(all_counties) if c.kind == kind)
        county = all_counties[i]
        older = quotas[i].persons * calibration.target("share_age_60_plus").value
        quota = replace(
            quotas[i],
            institutions=8,
            beds=round(55 * older / 1000),
            dementia_beds=round(10 * older / 1e4),
            certified_carers=round(20 * older / 1e4),
            consortia=2,
        )
        snapshot = calibration.snapshot_date
        with_care = generate_county(county, quota, calibration, SEED, snapshot)
        without = generate_county(county, quota, calibration, SEED, snapshot, eldercare=False)
        picked.append((county, quota, with_care, without))
    return picked


def _col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


def test_the_other_tables_are_the_same_with_or_without_elder_care(counties):
    for county, _quota, (tables, truth), (tables0, truth0) in counties:
        assert set(tables) - set(tables0) == CARE_TABLES, county.code
        for name, table in tables0.items():
            assert table.equals(tables[name]), (county.code, name)
        assert set(truth) - set(truth0) == {"eldercare_anomalies"}
        for name, table in truth0.items():
            assert table.equals(truth[name]), (county.code, name)


def test_the_same_seed_gives_the_same_elder_care(counties):
    calibration = load_calibration()
    county, quota, (tables, truth), _ = counties[0]
    again, truth_again = generate_county(
        county, quota, calibration, SEED, calibration.snapshot_date
    )
    for name in CARE_TABLES:
        assert again[name].equals(tables[name]), name
    assert truth_again["eldercare_anomalies"].equals(truth["eldercare_anomalies"])
    other, _ = generate_county(county, quota, calibration, SEED + 1, calibration.snapshot_date)
    assert not other["home_care_orders"].equals(tables["home_care_orders"])


def test_institution_details_complete_the_institutions(counties):
    kinds = set()
    for county, _q, (tables, _t), _ in counties:
        inst, det = tables["care_institutions"], tables["care_institution_details"]
        assert _col(det, "institution_id").tolist() == _col(inst, "institution_id").tolist()
        assert (_col(det, "ordinary_beds") == _col(inst, "beds") - _col(inst, "nursing_beds")).all()
        private = _col(inst, "ownership") == "private"
        assert ((_col(det, "kind") == "private") == private).all(), county.code
        stars = _col(det, "star_grade")
        assert ((stars >= 0) & (stars <= 5)).all()
        assert (
            det.column("star_graded_date").is_null().to_numpy(zero_copy_only=False) == (stars == 0)
        ).all()
        town = {t["code"]: t for t in county.townships}
        for code, lon, lat in zip(
            _col(inst, "township_code"), _col(det, "lon"), _col(det, "lat"), strict=True
        ):
            assert abs(lon - town[code]["lon"]) < 0.1 and abs(lat - town[code]["lat"]) < 0.1
        kinds |= set(_col(det, "kind"))
    assert {"public", "private", "jinglaoyuan"} <= kinds


def test_residents_are_living_older_people_in_distinct_beds(counties):
    snapshot = load_calibration().snapshot_date
    for county, _q, (tables, _t), _ in counties:
        res = tables["care_residents"]
        persons = tables["hukou_persons"]
        assert res.num_rows > 0
        ids = _col(res, "id_number")
        assert len(set(ids)) == len(ids), "a resident twice"
        assert len(set(_col(res, "bed_id"))) == len(ids), "a bed twice"
        births = dict(
            zip(_col(persons, "id_number"), persons.column("birth_date").to_pylist(), strict=True)
        )
        dead = set(_col(tables["deaths"], "id_number"))
        for number in ids:
            born = births[number]  # a resident of the county
            age = (
                snapshot.year
                - born.year
                - ((snapshot.month, snapshot.day) < (born.month, born.day))
            )
            assert age >= 60 and number not in dead
        inst = tables["care_institutions"]
        beds = dict(zip(_col(inst, "institution_id"), _col(inst, "beds"), strict=True))
        nursing = dict(zip(_col(inst, "institution_id"), _col(inst, "nursing_beds"), strict=True))
        dementia = dict(zip(_col(inst, "institution_id"), _col(inst, "dementia_beds"), strict=True))
        assert set(_col(res, "institution_id")) <= set(beds)
        counts = res.group_by(["institution_id", "bed_type"]).aggregate([("id_number", "count")])
        for row in counts.to_pylist():
            limit = {"dementia": dementia, "nursing": nursing, "ordinary": beds}[row["bed_type"]]
            assert row["id_number_count"] <= limit[row["institution_id"]]
        occupancy = res.num_rows / sum(beds.values())
        assert 0.35 < occupancy < 0.75, (county.code, occupancy)
        # the institutions' residents need more care than the older people at home
        cap = tables["elderly_capability"]
        grade = dict(zip(_col(cap, "id_number"), _col(cap, "grade"), strict=True))
        inside = [grade[i] for i in ids if i in grade]
        assert np.mean(inside) > np.mean(list(grade.values()))


def test_tekun_older_people_live_in_the_jinglaoyuan_first(counties):
    placed = 0
    for _county, _q, (tables, _t), _ in counties:
        det = tables["care_institution_details"]
        homes = set(_col(det, "institution_id")[_col(det, "kind") == "jinglaoyuan"])
        if not homes:
            continue
        en = tables["enrolments"]
        tekun = set(_col(en, "id_number")[_col(en, "programme") == "tekun"])
        res = tables["care_residents"]
        for number, iid in zip(_col(res, "id_number"), _col(res, "institution_id"), strict=True):
            if number in tekun:
                assert iid in homes
                placed += 1
    assert placed > 0


def test_certificates_belong_to_certified_carers_and_16_of_20_are_valid(counties):
    snapshot = load_calibration().snapshot_date
    for county, _q, (tables, truth), _ in counties:
        staff, certs = tables["care_staff"], tables["care_staff_certificates"]
        certified = _col(staff, "staff_id")[_col(staff, "certified")]
        assert sorted(_col(certs, "staff_id")) == sorted(certified)
        assert len(set(_col(certs, "certificate_no"))) == certs.num_rows
        expired = pc.less_equal(certs.column("expiry_date"), pa.scalar(snapshot)).to_numpy(
            zero_copy_only=False
        )
        assert certs.num_rows - expired.sum() == round(0.8 * certs.num_rows), county.code
        anomalies = truth["eldercare_anomalies"]
        planted = set(_col(anomalies, "record_id")[_col(anomalies, "kind") == "expired"])
        assert planted == set(_col(certs, "certificate_no")[expired])
        first_aid = _col(certs, "first_aid")
        fa_expiry = certs.column("first_aid_expiry_date")
        assert (fa_expiry.is_null().to_numpy(zero_copy_only=False) == ~first_aid).all()
        fa_expired = pc.fill_null(pc.less_equal(fa_expiry, pa.scalar(snapshot)), False)
        planted_fa = set(
            _col(anomalies, "record_id")[_col(anomalies, "kind") == "first_aid_expired"]
        )
        assert planted_fa == set(
            _col(certs, "certificate_no")[fa_expired.to_numpy(zero_copy_only=False)]
        )
        levels = set(_col(certs, "certificate_level"))
        assert levels <= {"junior", "intermediate", "senior", "technician"}


def test_consortia_are_led_by_an_institution_and_have_its_members(counties):
    total = 0
    for county, quota, (tables, _t), _ in counties:
        cons, members = tables["care_consortia"], tables["care_consortium_members"]
        assert cons.num_rows == min(quota.consortia, quota.institutions)
        total += cons.num_rows
        institutions = set(_col(tables["care_institutions"], "institution_id"))
        centres = set(_col(tables["home_care_centres"], "centre_id"))
        leads = _col(cons, "lead_institution_id")
        assert set(leads) <= institutions and len(set(leads)) == len(leads)
        rows = members.to_pylist()
        for cid, lead in zip(_col(cons, "consortium_id"), leads, strict=True):
            mine = [r for r in rows if r["consortium_id"] == cid]
            assert [r["member_id"] for r in mine if r["role"] == "lead"] == [lead]
            for r in mine:
                known = institutions if r["member_kind"] == "institution" else centres
                assert r["member_id"] in known
        assert {r["consortium_id"] for r in rows} <= set(_col(cons, "consortium_id"))
        assert set(_col(cons, "level")) <= {"province", "city", "county", "township"}
        assert county.code  # (named for the assertion messages above)
    assert total > 0


def _km(lon1, lat1, lon2, lat2):
    return np.hypot((lon1 - lon2) * 97.0, (lat1 - lat2) * 111.0)


def test_visits_are_verified_against_the_home_and_the_anomalies_are_the_planted_ones(counties):
    kinds_seen = set()
    for county, _q, (tables, truth), _ in counties:
        orders = tables["home_care_orders"]
        assert orders.num_rows > 0
        persons = tables["hukou_persons"]
        household = dict(
            zip(_col(persons, "id_number"), _col(persons, "household_id"), strict=True)
        )
        homes = tables["household_locations"]
        home = {
            h: (lon, lat)
            for h, lon, lat in zip(
                _col(homes, "household_id"), _col(homes, "lon"), _col(homes, "lat"), strict=True
            )
        }
        hl = np.array([home[household[i]] for i in _col(orders, "id_number")])
        dist = _km(_col(orders, "check_in_lon"), _col(orders, "check_in_lat"), hl[:, 0], hl[:, 1])
        duration = _col(orders, "duration_minutes")
        assert (
            duration == _col(orders, "check_out_minute") - _col(orders, "check_in_minute")
        ).all()
        found = np.where(
            dist > 1.0,
            "far_from_home",
            np.where(duration < 0, "check_out_first", np.where(duration < 10, "too_short", "")),
        )
        anomalies = truth["eldercare_anomalies"]
        visits = _col(anomalies, "table") == "home_care_orders"
        planted = dict(
            zip(_col(anomalies, "record_id")[visits], _col(anomalies, "kind")[visits], strict=True)
        )
        ids = _col(orders, "order_id")
        assert {i: k for i, k in zip(ids, found, strict=True) if k} == planted, county.code
        kinds_seen |= set(planted.values())
        # the worker belongs to the centre that sends them, the client's township's
        workers = tables["home_care_workers"]
        centre_of = dict(zip(_col(workers, "worker_id"), _col(workers, "centre_id"), strict=True))
        assert all(
            centre_of[w] == c
            for w, c in zip(_col(orders, "worker_id"), _col(orders, "centre_id"), strict=True)
        )
        t_of_h = dict(
            zip(
                _col(tables["hukou_households"], "household_id"),
                _col(tables["hukou_households"], "township_code"),
                strict=True,
            )
        )
        assert all(
            c == "JY" + t_of_h[household[i]]
            for c, i in zip(_col(orders, "centre_id"), _col(orders, "id_number"), strict=True)
        )
    assert kinds_seen == {"far_from_home", "too_short", "check_out_first"}


def test_home_services_go_to_older_people_at_home(counties):
    snapshot = load_calibration().snapshot_date
    for county, _q, (tables, _t), _ in counties:
        inside = set(_col(tables["care_residents"], "id_number"))
        persons = tables["hukou_persons"]
        born = dict(
            zip(_col(persons, "id_number"), persons.column("birth_date").to_pylist(), strict=True)
        )
        for name in (
            "meal_orders",
            "home_care_orders",
            "home_care_beds",
            "respite_care",
            "home_adaptations",
        ):
            ids = set(_col(tables[name], "id_number"))
            assert ids, (county.code, name)
            assert not ids & inside, (county.code, name)
            assert all(snapshot.year - born[i].year >= 60 for i in ids), (county.code, name)
        centres = tables["home_care_centres"]
        assert centres.num_rows == len(county.townships)
        points = tables["meal_points"]
        assert set(_col(points, "centre_id")) == set(_col(centres, "centre_id"))
        orders = tables["meal_orders"]
        assert set(_col(orders, "point_id")) <= set(_col(points, "point_id"))
        month = {d.month for d in orders.column("order_date").to_pylist()}
        assert month == {snapshot.month}
        assert (
            (pc.less_equal(orders.column("subsidy"), orders.column("price")))
            .to_numpy(zero_copy_only=False)
            .all()
        )
        beds = tables["home_care_beds"]
        assert len(set(_col(beds, "id_number"))) == beds.num_rows
        respite = tables["respite_care"]
        keys = list(
            zip(_col(respite, "id_number"), respite.column("start_date").to_pylist(), strict=True)
        )
        assert len(set(keys)) == len(keys)
        # every household with a living person aged 60+ has a home, and only those
        homes = set(_col(tables["household_locations"], "household_id"))
        dead = set(_col(tables["deaths"], "id_number"))
        old_h = {
            h
            for i, h in zip(_col(persons, "id_number"), _col(persons, "household_id"), strict=True)
            if i not in dead
            and (
                snapshot.year
                - born[i].year
                - ((snapshot.month, snapshot.day) < (born[i].month, born[i].day))
            )
            >= 60
        }
        assert homes == old_h


@pytest.mark.lake
def test_the_lake_lists_the_elder_care_tables_and_their_truth(small_lake):
    import json

    manifest = json.loads((small_lake / "_lake.json").read_text(encoding="utf-8"))
    assert CARE_TABLES <= set(manifest["tables"])
    assert manifest["tables"]["home_care_centres"]["rows"] == 1360  # one a township
    assert (small_lake / "truth" / "eldercare_anomalies").is_dir()
