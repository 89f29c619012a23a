"""`minzheng cases demo`: cases in every state through the real steps, in time order."""

from __future__ import annotations

from minzheng.audit.models import AuditEvent
from minzheng.cases import workflow
from minzheng.cases.demo import load_demo_cases
from minzheng.cases.models import Case, Enrolment, Payment


def test_demo_cases_reach_every_state_in_time_order(verify_settings, caseworker, approver):
    counts = load_demo_cases(caseworker, approver, per_state=1)
    undecided = set(workflow.STATES) - {workflow.APPROVED, workflow.REJECTED}
    assert undecided <= set(counts)
    # the rules decide whether a demo household can be approved; decided, it is
    assert counts.get(workflow.APPROVED, 0) + counts.get(workflow.REJECTED, 0) == 2
    # the approved cases are paid their first month (one case: no failed line to show)
    enrolled = Enrolment.objects.filter(case__state=workflow.APPROVED).count()
    assert Payment.objects.count() == enrolled
    assert all(c.payee.get("account", "").startswith("6228") for c in Case.objects.all())
    for case in Case.objects.all():
        times = [e.at for e in case.events.all()]
        assert times == sorted(times)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("at", flat=True))
    assert seqs == sorted(seqs)  # the audit chain stays in time order
    first = set(Case.objects.values_list("household_id", flat=True))
    load_demo_cases(caseworker, approver, per_state=1)  # again: other households, or none
    later = Case.objects.exclude(household_id__in=first)
    assert Case.objects.filter(household_id__in=first).count() == len(first)
    assert later.values("household_id").distinct().count() == later.count()
