"""Every route and API operation against every persona, from one declarative table.

The table says what each persona gets (a status code) from every URL pattern of the site and
every operation of the API. The test fails when a route exists without its row, when a row
names a route that does not exist, and when any outcome differs. Every refusal of a logged-in
persona (403, 404) must leave a `denied` event in the audit log (#10, items 2 and 3).
"""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from minzheng.audit.models import AuditEvent
from minzheng.cases import payments
from minzheng.cases import services as cases
from minzheng.cases.models import CalendarDay, Enrolment
from minzheng.discovery.models import Task
from minzheng.eldercare.models import Assessment
from minzheng.simulation.models import SimulationRun
from minzheng.verification import services
from minzheng.verification.models import Consent
from tests.eldercare.conftest import make_records
from tests.exchange.conftest import deliver
from tests.verification.conftest import AS_OF, household_in
from tests.verification.test_web import consent_all

from .conftest import PERSONAS

PNG = b"\x89PNG\r\n\x1a\n"


def row(*statuses: int) -> dict[str, int]:
    """Expected statuses in the order of PERSONAS."""
    assert len(statuses) == len(PERSONAS)
    return dict(zip(PERSONAS, statuses, strict=True))


# The pages and the API of a household's personal data: the township caseworker and the
# county approver; the outsider finds nothing (404); other roles are refused (403).
PERSONAL = row(302, 200, 200, 404, 403, 403, 403)
PERSONAL_API = row(401, 200, 200, 404, 403, 403, 403)
EVERYONE = row(302, 200, 200, 200, 200, 200, 200)
ADMIN_ONLY = row(302, 302, 302, 302, 302, 302, 200)  # others are sent to the admin login
ADMIN_REFUSED = row(302, 302, 302, 302, 302, 302, 403)
# The payment pages and API: the county's approver only.
PAY_ROLE = row(302, 403, 200, 403, 403, 403, 403)
PAY_API = row(401, 403, 200, 403, 403, 403, 403)
# The data steward's pages: the province's steward; every other role is refused.
STEWARD = row(302, 403, 403, 403, 403, 200, 403)

# (method, URL pattern) → expected status per persona. URL patterns as Django knows them;
# the values for their parameters come from `urls` below.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    # --- web shell ---
    ("GET", ""): EVERYONE,
    ("GET", "login/"): row(200, 302, 302, 302, 302, 302, 302),
    ("POST", "logout/"): row(302, 302, 302, 302, 302, 302, 302),
    ("POST", "i18n/setlang/"): row(302, 302, 302, 302, 302, 302, 302),
    # --- verification pages ---
    ("GET", "verification/"): row(302, 200, 200, 200, 403, 403, 403),
    ("GET", "verification/households/"): row(302, 302, 302, 302, 302, 302, 302),
    ("GET", "verification/households/<str:household_id>/consents/"): PERSONAL,
    ("GET", "verification/households/<str:household_id>/declare/"): PERSONAL,
    ("GET", "verification/checks/<str:number>/"): PERSONAL,
    ("GET", "verification/checks/<str:number>/pdf/"): PERSONAL,
    ("GET", "verification/consents/<int:consent_id>/revoke/"): row(
        302, 200, 403, 404, 403, 403, 403
    ),
    ("POST", "verification/consents/<int:consent_id>/revoke/"): row(
        302, 302, 403, 404, 403, 403, 403
    ),
    # --- cases (救助"一件事") ---
    ("GET", "cases/"): row(302, 200, 200, 200, 403, 403, 403),
    ("POST", "cases/new/"): row(302, 302, 403, 404, 403, 403, 403),
    ("GET", "cases/queue/"): row(302, 403, 200, 403, 403, 403, 403),
    ("POST", "cases/queue/"): row(302, 403, 302, 403, 403, 403, 403),
    ("GET", "cases/<str:case_number>/"): PERSONAL,
    ("POST", "cases/<str:case_number>/act/"): row(302, 302, 403, 404, 403, 403, 403),
    # (the case is not in a state that allows these: the caseworker passes role and scope)
    ("POST", "cases/<str:case_number>/programmes/"): row(302, 409, 403, 404, 403, 403, 403),
    ("POST", "cases/<str:case_number>/objections/"): row(302, 409, 403, 404, 403, 403, 403),
    ("POST", "cases/<str:case_number>/objections/<int:objection_id>/"): row(
        302, 404, 403, 404, 403, 403, 403
    ),
    ("GET", "cases/notice.pdf"): row(302, 200, 200, 200, 403, 403, 403),
    ("GET", "cases/<str:case_number>/decision.pdf"): row(302, 409, 409, 404, 403, 403, 403),
    ("POST", "cases/enrolments/<int:enrolment_id>/"): row(302, 302, 403, 404, 403, 403, 403),
    ("POST", "cases/<str:case_number>/attachments/"): row(302, 302, 403, 404, 403, 403, 403),
    ("GET", "cases/<str:case_number>/attachments/<int:attachment_id>/"): PERSONAL,
    # --- payments (发放): the county's approver pays; the outsider is another county's
    # caseworker, refused by role before scope ---
    ("GET", "cases/payments/"): PAY_ROLE,
    ("POST", "cases/payments/"): row(302, 403, 302, 403, 403, 403, 403),
    ("GET", "cases/payments/<str:run_number>/"): PAY_ROLE,
    ("GET", "cases/payments/<str:run_number>/list.csv"): PAY_ROLE,
    ("GET", "cases/payments/<str:run_number>/list.xlsx"): PAY_ROLE,
    ("GET", "cases/payments/<str:run_number>/list.pdf"): PAY_ROLE,
    ("GET", "cases/payments/<str:run_number>/bank.csv"): PAY_ROLE,
    # (an empty return file: refused as such, 400)
    ("POST", "cases/payments/<str:run_number>/returns/"): row(302, 403, 400, 403, 403, 403, 403),
    # (no such line: 404)
    ("POST", "cases/payments/<str:run_number>/reissue/"): row(302, 403, 404, 403, 403, 403, 403),
    # --- discovery (主动发现): the township's tasks; the county reads them ---
    ("GET", "discovery/"): row(302, 200, 200, 200, 403, 403, 403),
    # (aggregates only: the analyst too; nothing recorded yet, each sees an empty page)
    ("GET", "discovery/monitoring/"): row(302, 200, 200, 200, 200, 403, 403),
    ("GET", "discovery/tasks/<str:task_number>/"): PERSONAL,
    ("POST", "discovery/tasks/<str:task_number>/act/"): row(302, 302, 403, 404, 403, 403, 403),
    # --- the public reporting channel (一键报送): no login (an empty report: 400) ---
    ("GET", "report/<str:township_code>/"): row(200, 200, 200, 200, 200, 200, 200),
    ("POST", "report/<str:township_code>/"): row(400, 400, 400, 400, 400, 400, 400),
    # --- elder care (浙里养): the assessors' pages; the township and the county read them
    ("GET", "eldercare/"): row(302, 200, 200, 200, 403, 403, 403),
    ("GET", "eldercare/register/"): row(302, 200, 200, 200, 403, 403, 403),
    # (the layout plan: aggregates of the user's own regions, like the monitoring page)
    ("GET", "eldercare/layout/"): row(302, 200, 200, 200, 200, 403, 403),
    ("GET", "eldercare/assessments/new/"): row(302, 403, 403, 403, 403, 403, 403),
    ("POST", "eldercare/assessments/new/"): row(302, 403, 403, 403, 403, 403, 403),
    ("GET", "eldercare/assessments/<str:assessment_number>/"): PERSONAL,
    ("POST", "eldercare/assessments/<str:assessment_number>/confirm/"): row(
        302, 403, 403, 403, 403, 403, 403
    ),
    # --- elder care: alerts for older people living alone; the township acts, the county reads
    # (the page rows acknowledge and resolve one alert, the API rows another) ---
    ("GET", "eldercare/alerts/"): row(302, 200, 200, 200, 403, 403, 403),
    ("GET", "eldercare/alerts/<str:alert_id>/"): PERSONAL,
    ("POST", "eldercare/alerts/<str:alert_id>/acknowledge/"): row(
        302, 302, 403, 404, 403, 403, 403
    ),
    ("POST", "eldercare/alerts/<str:alert_id>/resolve/"): row(302, 302, 403, 404, 403, 403, 403),
    # institutions, consortia and home services: the township and the county read them (the
    # outsider's lists are of their own region); an institution is personal data (residents)
    ("GET", "eldercare/institutions/"): row(302, 200, 200, 200, 403, 403, 403),
    ("GET", "eldercare/institutions/<str:institution_id>/"): PERSONAL,
    ("GET", "eldercare/consortia/"): row(302, 200, 200, 200, 403, 403, 403),
    ("GET", "eldercare/home-services/"): row(302, 200, 200, 200, 403, 403, 403),
    # --- policy simulation (政策仿真): the analyst only (aggregates); an empty form is 400,
    # the workbook of a run without results 409 ---
    ("GET", "simulation/"): row(302, 403, 403, 403, 200, 403, 403),
    ("POST", "simulation/"): row(302, 403, 403, 403, 400, 403, 403),
    ("GET", "simulation/runs/<str:sim_number>/"): row(302, 403, 403, 403, 200, 403, 403),
    ("GET", "simulation/runs/<str:sim_number>/progress.json"): row(
        302, 403, 403, 403, 200, 403, 403
    ),
    ("GET", "simulation/runs/<str:sim_number>/workbook.xlsx"): row(
        302, 403, 403, 403, 409, 403, 403
    ),
    ("GET", "report/<str:township_code>/qr.svg"): row(200, 200, 200, 200, 200, 200, 200),
    # --- data steward's pages (数据管理) ---
    ("GET", "exchange/"): STEWARD,
    ("GET", "exchange/freshness/<str:feed>/"): STEWARD,
    ("GET", "exchange/deliveries/<int:delivery_id>/quarantine/"): STEWARD,
    # --- API ---
    ("GET", "api/openapi.json"): row(302, 200, 200, 200, 200, 200, 200),
    ("GET", "api/docs"): row(302, 200, 200, 200, 200, 200, 200),
    ("GET", "api/"): row(404, 404, 404, 404, 404, 404, 404),
    ("GET", "api/me"): row(401, 200, 200, 200, 200, 200, 200),
    ("GET", "api/regions/<code>"): row(401, 404, 200, 404, 200, 200, 200),
    ("GET", "api/audit/events"): row(401, 403, 403, 403, 403, 403, 200),
    ("POST", "api/verification/checks"): row(401, 201, 201, 404, 403, 403, 403),
    ("GET", "api/verification/checks/<number>"): PERSONAL_API,
    ("POST", "api/verification/consents"): row(401, 201, 403, 404, 403, 403, 403),
    ("POST", "api/verification/consents/<consent_id>/revoke"): row(
        401, 200, 403, 404, 403, 403, 403
    ),
    # (the case page's row has submitted the case: version 1 → 2; the API returns it)
    ("POST", "api/cases"): row(401, 201, 403, 404, 403, 403, 403),
    ("GET", "api/cases"): row(401, 200, 200, 200, 403, 403, 403),
    ("GET", "api/cases/<case_number>"): PERSONAL_API,
    ("POST", "api/cases/<case_number>/steps"): row(401, 200, 403, 404, 403, 403, 403),
    ("POST", "api/cases/approvals"): row(401, 403, 200, 403, 403, 403, 403),
    ("POST", "api/cases/<case_number>/programmes"): row(401, 409, 403, 404, 403, 403, 403),
    ("POST", "api/cases/<case_number>/objections"): row(401, 409, 403, 404, 403, 403, 403),
    ("POST", "api/cases/<case_number>/objections/<objection_id>"): row(
        401, 404, 403, 404, 403, 403, 403
    ),
    # (the page's row suspended it: the API lifts the suspension)
    ("POST", "api/cases/enrolments/<enrolment_id>/suspension"): row(
        401, 200, 403, 404, 403, 403, 403
    ),
    ("POST", "api/cases/reviews"): row(401, 200, 403, 200, 403, 403, 403),
    ("POST", "api/cases/<case_number>/attachments"): row(401, 200, 403, 404, 403, 403, 403),
    ("GET", "api/discovery/tasks"): row(401, 200, 200, 200, 403, 403, 403),
    ("GET", "api/discovery/tasks/<task_number>"): PERSONAL_API,
    # (the page's row started the visit: the API closes the task)
    ("POST", "api/discovery/tasks/<task_number>/steps"): row(401, 200, 403, 404, 403, 403, 403),
    ("GET", "api/eldercare/alerts"): row(401, 200, 200, 200, 403, 403, 403),
    ("GET", "api/eldercare/alerts/<alert_key>"): PERSONAL_API,
    ("POST", "api/eldercare/alerts/<alert_key>/acknowledge"): row(
        401, 200, 403, 404, 403, 403, 403
    ),
    ("POST", "api/eldercare/alerts/<alert_key>/resolve"): row(401, 200, 403, 404, 403, 403, 403),
    ("GET", "api/eldercare/institutions"): row(401, 200, 200, 200, 403, 403, 403),
    ("GET", "api/eldercare/institutions/<institution_id>"): PERSONAL_API,
    ("POST", "api/payments"): row(401, 403, 200, 403, 403, 403, 403),
    ("GET", "api/payments"): PAY_API,
    ("GET", "api/payments/<run_number>"): PAY_API,
    ("GET", "api/payments/<run_number>/lines"): PAY_API,
    ("POST", "api/payments/<run_number>/returns"): row(401, 403, 400, 403, 403, 403, 403),
    ("POST", "api/payments/<run_number>/lines/<line>/reissue"): row(
        401, 403, 404, 403, 403, 403, 403
    ),
    # --- admin site (only administrators are staff) ---
    ("GET", "admin/"): ADMIN_ONLY,
    ("GET", "admin/login/"): row(200, 200, 200, 200, 200, 200, 302),
    ("POST", "admin/logout/"): row(302, 302, 302, 302, 302, 302, 302),
    ("GET", "admin/password_change/"): ADMIN_ONLY,
    ("GET", "admin/password_change/done/"): ADMIN_ONLY,
    ("GET", "admin/autocomplete/"): row(302, 302, 302, 302, 302, 302, 403),
    ("GET", "admin/jsi18n/"): ADMIN_ONLY,
    ("GET", "admin/r/<path:content_type_id>/<path:object_id>/"): row(
        302, 302, 302, 302, 302, 302, 404
    ),
    ("GET", "admin/^(?P<app_label>regions|accounts|auth|audit|cases)/$"): ADMIN_ONLY,
    ("GET", "admin/(?P<url>.*)$"): row(302, 302, 302, 302, 302, 302, 404),
    ("GET", "admin/accounts/user/<id>/password/"): ADMIN_ONLY,
}

# What the administrator may do in the admin, per model (its role's permissions).
ADMIN_MODELS = {
    "auth/group": {"changelist": 200, "add": 200, "change": 200, "delete": 403, "history": 200},
    "accounts/user": {"changelist": 200, "add": 200, "change": 200, "delete": 403, "history": 200},
    "regions/region": {
        "changelist": 200,
        "add": 403,
        "change": 200,
        "delete": 403,
        "history": 200,
    },
    # Locked accounts: a list with an unlock action, nothing to add, change or delete.
    # (an account that is not locked is not found there: the admin redirects to its index)
    "accounts/lockedaccount": {
        "changelist": 200,
        "add": 403,
        "change": 302,
        "delete": 403,
        "history": 302,
    },
    "cases/calendarday": {
        "changelist": 200,
        "add": 200,
        "change": 200,
        "delete": 200,
        "history": 200,
    },
    "audit/auditevent": {
        "changelist": 200,
        "add": 403,
        "change": 200,  # read-only view
        "delete": 403,
        "history": 200,
    },
}
ADMIN_ROUTES = {
    "changelist": "",
    "add": "add/",
    "change": "<path:object_id>/change/",
    "delete": "<path:object_id>/delete/",
    "history": "<path:object_id>/history/",
    "redirect": "<path:object_id>/",  # the old change URL redirects to the new one
}
for _model, _allowed in ADMIN_MODELS.items():
    for _view, _suffix in ADMIN_ROUTES.items():
        _admin = _allowed.get(_view, 302)
        MATRIX[("GET", f"admin/{_model}/{_suffix}")] = (
            ADMIN_ONLY | {"admin": _admin} if _admin != 403 else ADMIN_REFUSED
        )


def alerts_for_the_matrix() -> list[str]:
    """Two fresh alerts of the caseworker's township (their timers running)."""
    from django.utils import timezone

    from minzheng.eldercare.alert_services import alerts_raise
    from tests.eldercare.alert_fixtures import record

    now = timezone.localtime().replace(tzinfo=None)
    records = [record("no_door", f"D330102000000{i}", raised=now) for i in (1, 2)]
    alerts_raise(records=records)
    return [r["alert_id"] for r in records]


def site_routes() -> set[str]:
    """Every URL pattern of the site, as its full pattern string."""

    def walk(patterns, prefix: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return set(walk(get_resolver().url_patterns, ""))


def api_operations() -> set[tuple[str, str]]:
    """Every operation of the API, as (method, URL pattern of Django)."""
    from minzheng.api.router import api

    schema = api.get_openapi_schema()
    out = set()
    for path, methods in schema["paths"].items():
        pattern = path.removeprefix("/").replace("{", "<").replace("}", ">")
        out |= {(method.upper(), pattern) for method in methods}
    return out


def test_every_route_and_api_operation_has_a_row():
    patterns = {pattern for _method, pattern in MATRIX}
    assert site_routes() - patterns == set(), "routes without a row in MATRIX"
    assert patterns - site_routes() == set(), "rows for routes that do not exist"
    # Each API operation (method and path) has its own row.
    api_rows = {key for key in MATRIX if key[1].startswith("api/")}
    assert api_operations() - api_rows == set(), "API operations without a row"


def test_each_persona_gets_exactly_what_the_matrix_says(
    verify_settings, client, everyone, lookup, caseworker, tmp_path
):
    home = household_in(lookup, "330102001")
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    consent = Consent.objects.filter(household_id=home).first()
    member = lookup.household(home).members[0]["id_number"]
    group = Group.objects.create(name="county approvers")
    verify_settings.EXCHANGE_DIR = tmp_path / "exchange"
    delivery = deliver(everyone["steward"], tmp_path / "in", ["123,2020-01-01,330102"])
    case = cases.case_open(
        user=caseworker, request=None, household_id=home, channel="counter", as_of=AS_OF
    )
    other = household_in(lookup, "330102001", where=f"AND h.household_id <> '{home}'")
    third = household_in(
        lookup, "330102001", where=f"AND h.household_id NOT IN ('{home}', '{other}')"
    )
    enrolment = Enrolment.objects.create(
        case=case,
        programme="dibao",
        household_id=home,
        beneficiary=home,
        region_code=case.region_code,
        monthly_amount="500.00",
        start_month=dt.date(2020, 12, 1),
    )
    attachment = cases.attachment_add(
        user=caseworker,
        request=None,
        number=case.number,
        kind="application",
        file=SimpleUploadedFile("scan.png", PNG + b"first"),
    )
    task = Task.objects.create(
        number="RW330102202609280000001",
        household_id=home,
        region_code=case.region_code,
        source="signal",
        as_of=AS_OF,
        evidence=[{"source": "signal", "what": "old_alone", "person": member, "figures": {}}],
        evidence_key="k",
        due_date=dt.date(2031, 1, 1),
    )
    analyst = everyone["analyst"]
    simulation = SimulationRun.objects.create(
        number="FZ20261201000000000001",
        name="方案",
        region_code=analyst.region.code,
        created_by=analyst,
        as_of=AS_OF,
    )
    approver = everyone["approver"]
    assessment = Assessment.objects.create(
        number="PG330102202612010001",
        id_number=member,
        household_id=home,
        region_code=case.region_code,
        assessed_on=AS_OF,
        place="家中",
        reason="first",
        evidence="现场评估",
        answers={},
        by_indicator={},
        total_score=90,
        preliminary_grade=0,
        grade=0,
        next_due=AS_OF,
        assessor=caseworker,
        second_assessor=approver,
    )
    alert_ids = alerts_for_the_matrix()
    institution = make_records()["ours"]
    run = payments.payment_run(user=approver, request=None, county="330102", month="2020-12")
    event = AuditEvent.objects.order_by("-seq").first()
    values = {
        "case_number": case.number,
        "objection_id": "999999",
        "household_id": home,
        "number": check.number,
        "consent_id": str(consent.pk),
        "code": "330102",
        "id": str(caseworker.pk),
        "app_label": "accounts",
        "url": "no-such-page/",
        "content_type_id": "1",
        "feed": "deaths",
        "delivery_id": str(delivery.pk),
        "enrolment_id": str(enrolment.pk),
        "run_number": run.number,
        "line": "999",
        "attachment_id": str(attachment.pk),
        "task_number": task.number,
        "township_code": "330102001",
        "sim_number": simulation.number,
        "assessment_number": assessment.number,
        "alert_id": alert_ids[0],
        "alert_key": alert_ids[1],
        "institution_id": institution.pk,
    }
    object_ids = {
        "auth/group": group.pk,
        "accounts/user": caseworker.pk,
        "regions/region": "330102",
        "audit/auditevent": event.pk,
        "accounts/lockedaccount": caseworker.pk,
        "cases/calendarday": CalendarDay.objects.create(
            day=dt.date(2031, 1, 6), workday=False, note="元旦调休"
        ).pk,
    }
    bodies = {
        "api/verification/checks": {"household_id": home, "date": AS_OF.isoformat()},
        "api/verification/consents": {
            "household_id": home,
            "id_number": member,
            "given_at": timezone.now().isoformat(),
        },
        "i18n/setlang/": {"language": "zh-hans", "next": "/"},
        "cases/new/": {"household_id": other, "channel": "counter", "as_of": "2020-12-31"},
        "cases/<str:case_number>/act/": {"action": "submit", "version": "1"},
        "cases/queue/": {"numbers": [case.number]},
        "cases/<str:case_number>/programmes/": {
            "programme": "dibao",
            "reason": "核实",
            "version": "2",
        },
        "cases/<str:case_number>/objections/": {
            "raised_on": "2026-01-01",
            "content": "异议",
            "version": "2",
        },
        "cases/<str:case_number>/objections/<int:objection_id>/": {
            "resolution": "不成立",
            "version": "2",
        },
        "api/cases": {"household_id": third, "channel": "online", "as_of": "2020-12-31"},
        "api/cases/<case_number>/steps": {"action": "return", "version": 2, "reason": "补充材料"},
        "api/cases/approvals": {"numbers": [case.number]},
        "cases/enrolments/<int:enrolment_id>/": {"suspend": "on", "reason": "待核实"},
        "cases/payments/": {"county": "330102", "month": "2020-12"},
        "cases/payments/<str:run_number>/reissue/": {"line": "999"},
        "api/cases/<case_number>/programmes": {
            "programme": "dibao",
            "included": True,
            "reason": "核实",
            "version": 2,
        },
        "api/cases/<case_number>/objections": {
            "raised_on": "2026-01-01",
            "content": "异议",
            "version": 2,
        },
        "api/cases/<case_number>/objections/<objection_id>": {
            "upheld": False,
            "resolution": "不成立",
            "version": 2,
        },
        "api/cases/enrolments/<enrolment_id>/suspension": {"suspend": False, "reason": "已核实"},
        "api/cases/reviews": {"as_of": "2020-12-31"},
        "api/payments": {"county": "330102", "month": "2020-12"},
        "discovery/tasks/<str:task_number>/act/": {"action": "start_visit"},
        "api/discovery/tasks/<task_number>/steps": {"action": "close", "reason": "已核实"},
        "api/payments/<run_number>/lines/<line>/reissue": {},
        "eldercare/alerts/<str:alert_id>/resolve/": {"reason": "false_alarm"},
        "api/eldercare/alerts/<alert_key>/resolve": {"reason": "visited_fine", "note": "正常"},
    }
    # uploads (multipart): an empty return file; a photo of the home
    uploads = {
        "cases/payments/<str:run_number>/returns/": ("return.csv", b"line_id,status,reason\n"),
        "api/payments/<run_number>/returns": ("return.csv", b"line_id,status,reason\n"),
        "cases/<str:case_number>/attachments/": ("photo.png", PNG + b"page"),
        "api/cases/<case_number>/attachments": ("photo.png", PNG + b"api"),
    }

    def url_of(pattern: str) -> str:
        model = next((m for m in object_ids if pattern.startswith(f"admin/{m}/")), None)
        if model:
            pattern = pattern.replace("<path:object_id>", str(object_ids[model]))
        if pattern.startswith("admin/^"):
            return f"/admin/{values['app_label']}/"
        if pattern.startswith("admin/(?P<url>"):
            return "/admin/" + values["url"]
        for name, value in values.items():
            for kind in ("", "str:", "int:", "path:"):
                pattern = pattern.replace(f"<{kind}{name}>", value)
        return "/" + pattern

    actual: dict[tuple[str, str], dict[str, int]] = {}
    unaudited = []
    # Revocations last: they change what the other rows see.
    ordered = sorted(MATRIX, key=lambda key: "revoke" in key[1])
    for method, pattern in ordered:
        url = url_of(pattern)
        actual[(method, pattern)] = {}
        for persona, user in everyone.items():
            client.logout()
            if user is not None:
                client.force_login(user)
            denied_before = AuditEvent.objects.filter(outcome="denied").count()
            if method == "GET":
                response = client.get(url)
            else:
                body = bodies.get(pattern.removeprefix("/"), {})
                if pattern in uploads:
                    name, content = uploads[pattern]
                    upload = io.BytesIO(content)
                    upload.name = name
                    response = client.post(url, {"file": upload, "kind": "visit_photo"})
                elif pattern.startswith("api/"):
                    response = client.post(url, body, content_type="application/json")
                else:
                    response = client.post(url, body)
            actual[(method, pattern)][persona] = response.status_code
            refused = response.status_code in (403, 404)
            if refused and user is not None:
                if AuditEvent.objects.filter(outcome="denied").count() == denied_before:
                    unaudited.append((method, pattern, persona, response.status_code))
    mismatches = {
        key: {
            p: (actual[key][p], MATRIX[key][p])
            for p in PERSONAS
            if actual[key][p] != MATRIX[key][p]
        }
        for key in MATRIX
    }
    mismatches = {k: v for k, v in mismatches.items() if v}
    assert mismatches == {}, "persona: (actual, expected)"
    expected_unaudited = {
        # Django's own "no such page" under the admin and the API root: no object was asked for.
        ("GET", "admin/(?P<url>.*)$"),
        ("GET", "api/"),
        ("GET", "admin/r/<path:content_type_id>/<path:object_id>/"),
    }
    assert [u for u in unaudited if u[:2] not in expected_unaudited] == []


def test_the_role_table_of_the_docs_is_the_one_in_the_code():
    from pathlib import Path

    from minzheng.accounts.roles import ROLE_PERMISSIONS

    docs = (Path(__file__).resolve().parents[2] / "docs/security.md").read_text("utf-8")
    documented = {}
    for line in docs.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and "(" in cells[0] and cells[1] != "---":
            role = cells[0].split(" (")[0].replace(" ", "_")
            documented[role] = frozenset(
                p.strip("` ") for p in cells[2].split(",") if p.strip().startswith("`")
            )
    assert documented == {str(role): perms for role, perms in ROLE_PERMISSIONS.items()}


def test_every_navigation_link_a_persona_sees_opens_for_them(client, everyone):
    """The menu never offers a page the role is refused (a steward saw the checks link)."""
    import re

    seen = {}
    for persona, user in everyone.items():
        if user is None:
            continue
        client.force_login(user)
        page = client.get("/").content.decode()
        nav = page.split("<nav>", 1)[1].split("</nav>", 1)[0]
        links = [h for h in re.findall(r'<a href="([^"]+)"', nav) if not h.startswith("/admin")]
        seen[persona] = {link: client.get(link).status_code for link in links}
        client.logout()
    assert seen["caseworker"] and seen["steward"]  # the test reads real menus
    assert {p: {k: s for k, s in links.items() if s != 200} for p, links in seen.items()} == {
        p: {} for p in seen
    }
