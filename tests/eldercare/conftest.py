"""Elder-care records written directly (no lake): an institution in the caseworker's township
清风街道 (330102001), one in the outsider's 西溪街道 (330106001), and the home services of
清风街道."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.eldercare import institution_models as m

AS_OF = dt.date(2020, 12, 31)
RESIDENT = "330102193001010012"
CLIENT = "330102194002020024"


def _institution(pk: str, township: str, name: str) -> m.Institution:
    inst = m.Institution.objects.create(
        pk=pk,
        name=name,
        kind="public",
        region_code=township,
        lon=120.17,
        lat=30.25,
        as_of=AS_OF,
    )
    for n, kind in enumerate(["dementia", "nursing", "ordinary", "ordinary"], start=1):
        m.Bed.objects.create(pk=f"{pk}-{n:04d}", institution=inst, region_code=township, kind=kind)
    return inst


def make_records() -> dict[str, object]:
    """The records the elder-care pages, the API and the role matrix read."""
    ours = _institution("Y3301020001", "330102001", "清风街道颐养院")
    theirs = _institution("Y3301060001", "330106001", "西溪街道颐养院")
    bed = m.Bed.objects.get(pk="Y3301020001-0001")
    bed.resident_id_number, bed.admitted_on = RESIDENT, dt.date(2019, 5, 1)
    bed.save()
    m.StarGrading.objects.create(
        pk="Y3301020001:2020-06-01",
        institution=ours,
        region_code=ours.region_code,
        graded_on=dt.date(2020, 6, 1),
        grade=3,
    )
    staff = {
        "S1": ("carer", "ZJ330102YL000001", dt.date(2023, 1, 1), dt.date(2021, 5, 1)),
        "S2": ("carer", "ZJ330102YL000002", dt.date(2019, 1, 1), dt.date(2020, 1, 1)),
        "S3": ("carer", "", None, None),
        "S4": ("other", "", None, None),
    }
    for sid, (role, number, expiry, first_aid) in staff.items():
        m.StaffMember.objects.create(
            pk=f"{ours.pk}{sid}",
            institution=ours,
            region_code=ours.region_code,
            role=role,
            certificate_no=number,
            certificate_level="junior" if number else "",
            certificate_expiry=expiry,
            first_aid_expiry=first_aid,
        )
    m.StaffMember.objects.create(
        pk="S-THEIRS",
        institution=theirs,
        region_code=theirs.region_code,
        role="carer",
        certificate_no="ZJ330106YL000001",
        certificate_level="senior",
        certificate_expiry=dt.date(2024, 1, 1),
    )
    consortium = m.Consortium.objects.create(
        pk="KY330102001",
        name="上城区康养联合体",
        level="county",
        level_region_code="330102",
        region_code=ours.region_code,
        lead=ours,
        rehab_beds=10,
        rehab_physicians=1,
        rehab_therapists=2,
    )
    m.ConsortiumMember.objects.create(
        pk=f"{consortium.pk}:{ours.pk}",
        consortium=consortium,
        region_code=ours.region_code,
        member_id=ours.pk,
        member_kind="institution",
        lead=True,
    )
    centre = m.HomeCareCentre.objects.create(
        pk="JY330102001",
        name="清风街道居家养老服务中心",
        region_code="330102001",
        lon=120.1,
        lat=30.2,
    )
    worker = m.HomeCareWorker.objects.create(
        pk="W33010200001", centre=centre, region_code="330102001", id_number="330102198001010016"
    )
    point = m.MealPoint.objects.create(
        pk="ZC33010200001", centre=centre, region_code="330102001001", lon=120.1, lat=30.2
    )
    m.MealOrder.objects.create(
        pk="ZO1",
        point=point,
        region_code=point.region_code,
        id_number=CLIENT,
        ordered_on=AS_OF,
        mode="delivery",
        price=Decimal("12.00"),
        subsidy=Decimal("6.00"),
    )
    visits = {
        "HO1": (540, 600, 15, False),
        "HO2": (540, 545, 10, False),
        "HO3": (540, 600, 4200, True),
    }
    for oid, (t_in, t_out, distance, far) in visits.items():
        m.WorkOrder.objects.create(
            pk=oid,
            centre=centre,
            worker=worker,
            region_code=centre.region_code,
            id_number=CLIENT,
            service_item="bathing",
            service_date=AS_OF,
            check_in=t_in,
            check_out=t_out,
            check_in_lon=120.1,
            check_in_lat=30.2,
            check_out_lon=120.1,
            check_out_lat=30.2,
            duration=t_out - t_in,
            distance_m=distance,
            far_from_home=far,
            too_short=t_out - t_in < 10,
        )
    for start, days in ((dt.date(2020, 3, 1), 20), (dt.date(2020, 9, 1), 15)):
        m.RespiteStay.objects.create(
            pk=f"{CLIENT}:{start}",
            region_code="330102001001",
            id_number=CLIENT,
            started_on=start,
            days=days,
        )
    return {"ours": ours, "theirs": theirs, "centre": centre}


@pytest.fixture
def records(regions):
    return make_records()
