"""Elder-care institutions and home and community services (浙里养): institutions with their
star-grade record, beds, staff and their certificates, care consortia (康养联合体), and the
township's home-care centres, meal points and meals, home-care work orders with electronic
visit verification (EVV), home-care beds, respite stays and home adaptations.

The records come from the 民政 feeds of the lake (`eldercare.records.load_records`); each
names its natural key as its primary key, so that a second load of the same lake changes
nothing. Every record carries the region code it belongs to (the institution's or centre's
township, the meal point's or older person's village) and is scoped through it.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from minzheng.regions.scoping import RegionScopedQuerySet


class Record(models.Model):
    """A record of the feeds: shown by its key."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.pk)


class Institution(Record):
    """An elder-care institution (养老机构)."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("public")
        PUBLIC_PRIVATE = "public_private", _("publicly built, privately run")
        PRIVATE = "private", _("private")
        JINGLAOYUAN = "jinglaoyuan", _("township home for the extremely poor")

    id = models.CharField(_("institution"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    as_of = models.DateField(_("data as of"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("elder-care institution")
        verbose_name_plural = _("elder-care institutions")

    def __str__(self) -> str:
        return self.name


class StarGrading(Record):
    """A star grading of an institution (GB/T 37276《养老机构等级划分与评定》): 1–5 stars."""

    id = models.CharField(_("grading"), max_length=40, primary_key=True)  # institution:date
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="gradings",
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    graded_on = models.DateField(_("graded on"))
    grade = models.PositiveSmallIntegerField(_("star grade"))
    grader = models.CharField(_("graded by"), max_length=100, blank=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("star grading")
        verbose_name_plural = _("star gradings")
        constraints = [
            models.UniqueConstraint(fields=["institution", "graded_on"], name="grading_once_a_day"),
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=5), name="grading_1_to_5_stars"
            ),
        ]


class Bed(Record):
    """A bed of an institution, empty or occupied by one older person of the register. The
    bed's number is unique across institutions: a bed cannot be counted in two."""

    class Kind(models.TextChoices):
        NURSING = "nursing", _("nursing-type")
        DEMENTIA = "dementia", _("dementia care")
        ORDINARY = "ordinary", _("ordinary")

    id = models.CharField(_("bed"), max_length=24, primary_key=True)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="beds"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    kind = models.CharField(_("bed type"), max_length=10, choices=Kind.choices)
    resident_id_number = models.CharField(_("resident"), max_length=18, blank=True)
    admitted_on = models.DateField(_("admitted on"), null=True, blank=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bed")
        verbose_name_plural = _("beds")
        constraints = [
            models.UniqueConstraint(
                fields=["resident_id_number"],
                condition=~models.Q(resident_id_number=""),
                name="bed_one_per_resident",
            )
        ]

    @property
    def nursing_type(self) -> bool:
        """Dementia-care beds are nursing-type beds too (护理型床位)."""
        return self.kind in (self.Kind.NURSING, self.Kind.DEMENTIA)


class StaffMember(Record):
    """A member of an institution's staff, with the care-worker certificate (养老护理员职业技能
    等级证书) and the first-aid certificate (救护员证) when they hold them. A certificate past
    its expiry is flagged and does not count as valid."""

    class Role(models.TextChoices):
        CARER = "carer", _("care worker")
        OTHER = "other", _("other staff")

    class Level(models.TextChoices):
        JUNIOR = "junior", _("junior")
        INTERMEDIATE = "intermediate", _("intermediate")
        SENIOR = "senior", _("senior")
        TECHNICIAN = "technician", _("technician")

    id = models.CharField(_("staff member"), max_length=20, primary_key=True)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="staff"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    certificate_no = models.CharField(_("care-worker certificate"), max_length=30, blank=True)
    certificate_level = models.CharField(
        _("care-worker level"), max_length=14, choices=Level.choices, blank=True
    )
    certificate_issued = models.DateField(_("issued on"), null=True, blank=True)
    certificate_expiry = models.DateField(_("expires on"), null=True, blank=True)
    first_aid_expiry = models.DateField(
        _("first-aid certificate expires on"), null=True, blank=True
    )

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def certificate_valid(self, on: dt.date) -> bool:
        """A care-worker certificate that has not expired on `on`."""
        return bool(self.certificate_no) and (
            self.certificate_expiry is None or self.certificate_expiry >= on
        )

    def certificate_expired(self, on: dt.date) -> bool:
        return bool(self.certificate_no) and not self.certificate_valid(on)

    def first_aid_valid(self, on: dt.date) -> bool:
        return self.first_aid_expiry is not None and self.first_aid_expiry >= on


class Consortium(Record):
    """A care-and-rehabilitation consortium (康养联合体) with its rehabilitation resources."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        TOWNSHIP = "township", _("township")

    id = models.CharField(_("consortium"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    level_region_code = models.CharField(_("region at its level"), max_length=12)
    # scoped by the lead institution's township (a province-level consortium is led from one)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    lead = models.ForeignKey(
        Institution,
        verbose_name=_("lead institution"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    rehab_beds = models.PositiveIntegerField(_("rehabilitation beds"))
    rehab_physicians = models.PositiveIntegerField(_("rehabilitation physicians"))
    rehab_therapists = models.PositiveIntegerField(_("rehabilitation therapists"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care consortium")
        verbose_name_plural = _("care consortia")


class ConsortiumMember(Record):
    """A member of a consortium: an institution or a home-care centre."""

    class Kind(models.TextChoices):
        INSTITUTION = "institution", _("institution")
        CENTRE = "home_care_centre", _("home-care centre")

    id = models.CharField(_("membership"), max_length=45, primary_key=True)  # consortium:member
    consortium = models.ForeignKey(
        Consortium, verbose_name=_("consortium"), on_delete=models.CASCADE, related_name="members"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    member_id = models.CharField(_("member"), max_length=20)
    member_kind = models.CharField(_("member kind"), max_length=16, choices=Kind.choices)
    lead = models.BooleanField(_("lead"), default=False)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("consortium member")
        verbose_name_plural = _("consortium members")


# --- home and community services (居家社区养老服务) ---


class HomeCareCentre(Record):
    """A township's home-care service centre (居家养老服务中心)."""

    id = models.CharField(_("centre"), max_length=20, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("home-care centre")
        verbose_name_plural = _("home-care centres")

    def __str__(self) -> str:
        return self.name


class HomeCareWorker(Record):
    id = models.CharField(_("carer"), max_length=20, primary_key=True)
    centre = models.ForeignKey(
        HomeCareCentre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="workers"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("home carer")
        verbose_name_plural = _("home carers")


class MealPoint(Record):
    """A meal point (助餐点): the centre's canteen or a village canteen."""

    id = models.CharField(_("meal point"), max_length=20, primary_key=True)
    centre = models.ForeignKey(
        HomeCareCentre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="points"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meal point")
        verbose_name_plural = _("meal points")


class MealOrder(Record):
    class Mode(models.TextChoices):
        DINE_IN = "dine_in", pgettext_lazy("meal", "dine in")
        DELIVERY = "delivery", pgettext_lazy("meal", "delivery")

    id = models.CharField(_("order"), max_length=24, primary_key=True)
    point = models.ForeignKey(
        MealPoint, verbose_name=_("meal point"), on_delete=models.CASCADE, related_name="orders"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    ordered_on = models.DateField(_("date"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    subsidy = models.DecimalField(_("subsidy"), max_digits=10, decimal_places=2)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meal order")
        verbose_name_plural = _("meal orders")


class WorkOrder(Record):
    """A home-care visit with electronic visit verification: checked in and out by the carer's
    app, time and place. Flagged when checked in or out farther from the home than
    `MINZHENG_EVV_MAX_DISTANCE_M` or shorter than `MINZHENG_EVV_MIN_MINUTES`; a visit checked
    out before it was checked in is refused (kept as a refusal, never stored as a visit)."""

    class Item(models.TextChoices):
        PERSONAL_CARE = "personal_care", _("personal care")
        HOUSEKEEPING = "housekeeping", _("housekeeping")
        BATHING = "bathing", _("bathing")
        MEAL_HELP = "meal_help", _("help with meals")
        REHABILITATION = "rehabilitation", _("rehabilitation")
        HEALTH_CHECK = "health_check", _("health check")
        COMPANIONSHIP = "companionship", _("companionship")

    id = models.CharField(_("work order"), max_length=24, primary_key=True)
    centre = models.ForeignKey(
        HomeCareCentre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="orders"
    )
    worker = models.ForeignKey(
        HomeCareWorker, verbose_name=_("carer"), on_delete=models.CASCADE, related_name="orders"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    service_item = models.CharField(_("service item"), max_length=16, choices=Item.choices)
    service_date = models.DateField(_("service date"))
    check_in = models.PositiveSmallIntegerField(_("checked in (minute of the day)"))
    check_out = models.PositiveSmallIntegerField(_("checked out (minute of the day)"))
    check_in_lon = models.FloatField(_("check-in longitude"))
    check_in_lat = models.FloatField(_("check-in latitude"))
    check_out_lon = models.FloatField(_("check-out longitude"))
    check_out_lat = models.FloatField(_("check-out latitude"))
    duration = models.PositiveSmallIntegerField(_("duration (minutes)"))
    distance_m = models.PositiveIntegerField(
        _("farthest check-in or check-out from the home (m)"), null=True
    )
    far_from_home = models.BooleanField(_("checked in or out far from the home"), default=False)
    too_short = models.BooleanField(_("too short"), default=False)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("home-care work order")
        verbose_name_plural = _("home-care work orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(check_out__gte=models.F("check_in")),
                name="work_order_checked_out_after_in",
            )
        ]


class HomeCareBed(Record):
    """A home-care bed (家庭养老床位): an older person at home served by the centre."""

    id = models.CharField(_("home-care bed"), max_length=20, primary_key=True)
    centre = models.ForeignKey(
        HomeCareCentre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="beds"
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    started_on = models.DateField(_("since"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("home-care bed")
        verbose_name_plural = _("home-care beds")


class RespiteStay(Record):
    """A respite stay (喘息服务), counted against the yearly allowance
    `MINZHENG_RESPITE_DAYS_PER_YEAR`."""

    id = models.CharField(_("respite stay"), max_length=30, primary_key=True)  # id_number:start date
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    started_on = models.DateField(_("from"))
    days = models.PositiveSmallIntegerField(_("days"))

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("respite stay")
        verbose_name_plural = _("respite stays")


class HomeAdaptation(Record):
    """A home adaptation project (适老化改造)."""

    id = models.CharField(_("project"), max_length=20, primary_key=True)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18)
    completed_on = models.DateField(_("completed on"))
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("home adaptation")
        verbose_name_plural = _("home adaptations")


class RecordRefusal(Record):
    """A row of the lake's elder-care feeds that the loader refused, kept with the file,
    column and value it names (quarantine, never silently dropped)."""

    id = models.CharField(_("refusal"), max_length=130, primary_key=True)  # table:record:column
    table = models.CharField(_("file"), max_length=40)
    record_id = models.CharField(_("record"), max_length=40)
    column = models.CharField(_("column"), max_length=40)
    value = models.CharField(_("value"), max_length=100)
    code = models.CharField(_("reason"), max_length=30)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("refused record")
        verbose_name_plural = _("refused records")
