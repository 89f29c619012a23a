"""Capability assessments (老年人能力评估, GB/T 42195-2022) of older people, scoped by the
village of the person's hukou household.

Two assessors assess on site: the first records the answers, the second confirms with their
own login (never the same person). Only a confirmed assessment counts: it is the grade the
register shows and the one exported to the `elderly_capability` feed that the engine reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minzheng.regions.scoping import RegionScopedQuerySet


class Assessment(models.Model):
    class State(models.TextChoices):
        RECORDED = "recorded", _("recorded, awaiting the second assessor")
        CONFIRMED = "confirmed", _("confirmed")

    class Reason(models.TextChoices):
        FIRST = "first", _("first assessment")
        SCHEDULED = "scheduled", _("scheduled re-assessment")
        CHANGE = "change", _("re-assessment on a change of condition")

    number = models.CharField(_("assessment number"), max_length=32, unique=True)
    id_number = models.CharField(_("ID number"), max_length=18, db_index=True)
    household_id = models.CharField(_("household"), max_length=20)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    assessed_on = models.DateField(_("assessed on"))
    place = models.CharField(_("place"), max_length=200)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    evidence = models.TextField(_("evidence"))
    answers = models.JSONField(_("item scores"))
    adjustments = models.JSONField(_("grounds for changing the grade"), default=dict)
    by_indicator = models.JSONField(_("scores by indicator"))
    total_score = models.PositiveSmallIntegerField(_("total score"))
    preliminary_grade = models.PositiveSmallIntegerField(_("preliminary grade"))
    grade = models.PositiveSmallIntegerField(_("capability grade"))
    grade_reasons = models.JSONField(_("grade changed because of"), default=list)
    next_due = models.DateField(_("re-assessment due"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RECORDED
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    second_assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second assessor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    region_lookup = "region_code"
    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("capability assessment")
        verbose_name_plural = _("capability assessments")
        permissions = [("view_register", _("Can view the register of older people"))]
        indexes = [models.Index(fields=["region_code", "state", "assessed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(assessor=models.F("second_assessor")),
                name="assessment_two_assessors",
            ),
            models.CheckConstraint(
                condition=models.Q(grade__lte=4) & models.Q(preliminary_grade__lte=4),
                name="assessment_grade_0_to_4",
            ),
        ]

    def __str__(self) -> str:
        return self.number


# The alerts of the escalation chain live in their own module (imported here so that Django
# finds them as models of this app).
from minzheng.eldercare.alert_models import Alert, AlertStep  # noqa: E402, F401
# Institutions, beds, staff, consortia and home services: a module of their own.
from minzheng.eldercare.institution_models import (  # noqa: E402, F401
    Bed,
    Consortium,
    ConsortiumMember,
    HomeAdaptation,
    HomeCareBed,
    HomeCareCentre,
    HomeCareWorker,
    Institution,
    MealOrder,
    MealPoint,
    RecordRefusal,
    RespiteStay,
    StaffMember,
    StarGrading,
    WorkOrder,
)
