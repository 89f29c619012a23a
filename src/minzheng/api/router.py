"""The JSON API (django-ninja); session authentication, the same scope layer as the pages."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from minzheng.accounts import roles
from minzheng.accounts.permissions import require
from minzheng.api.errors import ERRORS
from minzheng.api.errors import install as install_error_handlers
from minzheng.audit.models import AuditEvent
from minzheng.audit.services import refusal_record
from minzheng.cases.api import router as cases_router
from minzheng.cases.payments_api import router as payments_router
from minzheng.discovery.api import router as discovery_router
from minzheng.eldercare.alert_api import router as eldercare_alerts_router
from minzheng.eldercare.api import router as eldercare_router
from minzheng.lib.i18n import RequestError, gettext_noop, shorten
from minzheng.regions.models import Region
from minzheng.regions.selectors import region_children_with_counts, region_path
from minzheng.verification.api import router as verification_router

api = NinjaAPI(
    title="minzheng API",
    version="1",
    auth=django_auth,
    urls_namespace="api",
    docs_decorator=login_required,
)


install_error_handlers(api)


class RegionOut(Schema):
    code: str
    name: str
    level: str


class ChildOut(RegionOut):
    counts: dict[str, int]


class RegionDetailOut(RegionOut):
    path: list[RegionOut]
    children: list[ChildOut]


class MeOut(Schema):
    username: str
    role: str
    region: RegionOut | None


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    region_code: str
    client_ip: str | None
    outcome: str


def _region_out(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level}


@api.get("/me", response={200: MeOut, **ERRORS}, summary="The logged-in user")
def me(request: HttpRequest):
    user = request.user
    return {
        "username": user.username,
        "role": user.role,
        "region": _region_out(user.region) if user.region else None,
    }


@api.get(
    "/regions/{code}",
    response={200: RegionDetailOut, **ERRORS},
    summary="A region in the user's scope",
)
def region_detail(request: HttpRequest, code: str):
    region = Region.objects.for_user(request.user).filter(code=code).first()
    if region is None:
        refusal_record(
            actor=request.user,
            request=request,
            action="read",
            object_type="region",
            object_id=code,
            reason="not_found_or_out_of_scope",
        )
        raise RequestError(
            "region_not_found",
            gettext_noop("Region %(region)s does not exist or is outside your scope."),
            status=404,
            region=shorten(code),
        )
    return {
        **_region_out(region),
        "path": [_region_out(r) for r in region_path(region)],
        "children": [
            {**_region_out(c.region), "counts": c.counts}
            for c in region_children_with_counts(region)
        ],
    }


@api.get(
    "/audit/events",
    response={200: list[AuditEventOut], **ERRORS},
    summary="Newest audit events in scope",
)
def audit_events(request: HttpRequest, limit: int = 100):
    require(request.user, roles.VIEW_AUDIT, request=request, object_type="audit_log")
    limit = max(1, min(limit, 1000))
    return list(AuditEvent.objects.for_user(request.user).order_by("-seq")[:limit])


api.add_router("/verification", verification_router)
api.add_router("/cases", cases_router)
api.add_router("/payments", payments_router)
api.add_router("/discovery", discovery_router)
api.add_router("/eldercare", eldercare_alerts_router)
api.add_router("/eldercare", eldercare_router)
