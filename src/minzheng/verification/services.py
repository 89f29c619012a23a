"""Recording consents and running checks: consent first, region scope, audit of every read."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import (
    audit_record,
    audit_record_many,
    personal_data_read,
)
from minzheng.lib import idcard
from minzheng.lib.i18n import gettext_noop
from minzheng.lib.numbering import create_numbered
from minzheng.regions.models import Region
from minzheng.regions.scoping import code_in_scope, user_scope
from minzheng.verification import uploads
from minzheng.verification.lookup import Lookup
from minzheng.verification.models import Check, Consent
from minzheng.verification.report import (
    ADULT_AGE,
    Settings,
    VerificationError,
    adults,
    build_report,
    household_number,
    oldest_snapshot,
    validate_request,
)

UNMASK_PERMISSION = roles.UNMASK


class _Lake:
    """One lookup connection and one explainer per process (DuckDB connections are not
    shared between threads: a lock serialises checks within a worker)."""

    def __init__(self, path: Path) -> None:
        from minzheng.policy.engine import Engine
        from minzheng.policy.explain import Explainer

        self.path = path
        self.lookup = Lookup(path)
        self.explainer = Explainer(Engine())
        self.lock = threading.Lock()


def lake() -> _Lake:
    """The lake in use: `MINZHENG_LAKE`, else the exchange's current snapshot (a new
    snapshot is picked up by the next check)."""
    from minzheng.exchange.services import current_lake

    return _lake_at(current_lake())


@cache
def _lake_at(path: Path) -> _Lake:
    return _Lake(path)


def check_settings() -> Settings:
    return Settings(
        tolerance_share=settings.VERIFY_TOLERANCE_SHARE,
        tolerance_yuan=settings.VERIFY_TOLERANCE_YUAN,
        stale_days=settings.VERIFY_STALE_DAYS,
    )


def scoped_household(
    user: Any, household_id: str, date: dt.date, request: HttpRequest | None = None
):
    """The household as found, if it lies in the user's scope (else: not found, 404, and the
    refusal audited)."""
    source = lake()
    validate_request(household_id, date, timezone.localdate(), oldest_snapshot(source.lookup.feeds))
    with source.lock:
        found = source.lookup.household(household_id)
    if found.household is None or not code_in_scope(user, found.household["village_code"]):
        not_found(
            VerificationError,
            "household_not_found",
            gettext_noop("Household %(household)s is not in the hukou feed or not in your scope."),
            user=user,
            request=request,
            action="read_personal",
            object_type="household",
            object_id=household_id,
            household=household_id,
        )
    return found


class _Households:
    """The households of a region that a search selects, read from the lake a page at a time
    (a sequence for Django's Paginator)."""

    def __init__(self, prefix: str, number_prefix: str, villages: list[str] | None) -> None:
        self.where = {"number_prefix": number_prefix, "villages": villages}
        self.prefix = prefix

    def count(self) -> int:
        source = lake()
        with source.lock:
            return source.lookup.households_count(self.prefix, **self.where)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[dict]:
        source = lake()
        with source.lock:
            return source.lookup.households_in(
                self.prefix, part.stop - part.start, offset=part.start, **self.where
            )


HOUSEHOLD_NUMBER_PREFIX = re.compile(r"H?[0-9]{1,13}")
PICK_PAGE_SIZE = 20


def households_to_pick(user: Any, *, query: str = "", page: int | str = 1) -> Page:
    """One page of the households of the user's scope, by hukou number, those whose number
    starts with `query` or whose village's name contains it (hukou number, village name,
    size: no personal data)."""
    region = user_scope(user)
    if region is None or not user.has_perm(roles.RUN_CHECK):
        return Paginator([], PICK_PAGE_SIZE).page(1)
    text = unicodedata.normalize("NFKC", query).strip().upper()[:40]
    number_prefix, villages = "", None
    if HOUSEHOLD_NUMBER_PREFIX.fullmatch(text):
        number_prefix = "H" + text.removeprefix("H")
    elif text:
        villages = list(
            Region.objects.for_user(user)
            .filter(level=Region.Levels.VILLAGE, name__contains=text)
            .values_list("code", flat=True)
        )
    listing = Paginator(_Households(region.prefix, number_prefix, villages), PICK_PAGE_SIZE)
    chosen = listing.get_page(page)
    names = dict(
        Region.objects.for_user(user)
        .filter(code__in={h["village_code"] for h in chosen.object_list})
        .values_list("code", "name")
    )
    chosen.object_list = [
        h | {"village_name": names.get(h["village_code"], "")} for h in chosen.object_list
    ]
    return chosen


def household_adults(
    *, user: Any, household_id: str, date: dt.date, request: HttpRequest | None = None
) -> tuple[dict, list[dict]]:
    """(household, adult members) of a household in scope, for the consent form."""
    household_id = household_number(household_id)
    require(
        user, roles.VIEW_CONSENT, request=request, object_type="household", object_id=household_id
    )
    found = scoped_household(user, household_id, date, request)
    return found.household, adults(found, date)


def household_members(
    *, user: Any, household_id: str, date: dt.date, request: HttpRequest | None = None
) -> tuple[dict, list[dict]]:
    """(household, living members on `date`) of a household in scope, for the declaration."""
    household_id = household_number(household_id)
    require(user, roles.RUN_CHECK, request=request, object_type="household", object_id=household_id)
    found = scoped_household(user, household_id, date, request)
    dead = {r["id_number"] for r in found.lines.get("deaths", []) if r["death_date"] <= date}
    members = [
        m for m in found.members if m["household_id"] == household_id and m["id_number"] not in dead
    ]
    return found.household, members


def consents_active(household_id: str) -> dict[str, Consent]:
    """ID number → the member's active consent for this household."""
    rows = Consent.objects.filter(household_id=household_id, revoked_at__isnull=True)
    return {c.id_number: c for c in rows.order_by("given_at")}


def consent_record(
    *,
    user: Any,
    request: HttpRequest | None,
    household_id: str,
    id_number: str,
    method: str,
    given_at: dt.datetime,
    form: UploadedFile | None = None,
) -> Consent:
    """Record one adult member's consent (a signed form needs its upload)."""
    household_id = household_number(household_id)
    require(
        user, roles.RECORD_CONSENT, request=request, object_type="household", object_id=household_id
    )
    date = timezone.localdate()
    found = scoped_household(user, household_id, date, request)
    try:
        number = idcard.parse(id_number).number
    except idcard.IdCardError as exc:
        raise VerificationError(
            "bad_id", gettext_noop("id_number: %(problem)s"), problem=exc
        ) from None
    if number not in {m["id_number"] for m in adults(found, date)} and not _may_join(
        user, number, date
    ):
        raise VerificationError(
            "not_an_adult_member",
            gettext_noop(
                "%(id)s is neither an adult member of household %(household)s nor an adult "
                "registered in your region."
            ),
            id=idcard.mask(number),
            household=household_id,
        )
    if method not in Consent.Method.values:
        raise VerificationError(
            "bad_method",
            gettext_noop("method = %(value)s: must be one of %(allowed)s."),
            value=method,
            allowed=", ".join(Consent.Method.values),
        )
    if method == Consent.Method.SIGNED_FORM and form is None:
        raise VerificationError(
            "form_missing", gettext_noop("A consent by signed form needs the scanned form.")
        )
    given_at = _consent_time(given_at, idcard.parse(number).birth_date, date)
    digest = ""
    stored: File | None = None
    if form is not None:
        kind = uploads.form_checked(form, form.size, settings.VERIFY_CONSENT_FORM_MAX_BYTES)
        sha = hashlib.sha256()
        for chunk in form.chunks():
            sha.update(chunk)
        digest = sha.hexdigest()
        stored = File(form, name=uploads.stored_name(kind))
    for attempt in range(3):
        try:
            with transaction.atomic():
                consent = _consent_replace(
                    user=user,
                    request=request,
                    household_id=household_id,
                    number=number,
                    fields={
                        "region_code": found.household["village_code"],
                        "method": method,
                        "given_at": given_at,
                        "form": stored or "",
                        "form_sha256": digest,
                    },
                )
            break
        except IntegrityError:  # a consent of the same member was recorded at the same time
            if attempt == 2:
                raise
    return consent


def _consent_time(given_at: dt.datetime, born: dt.date, today: dt.date) -> dt.datetime:
    """The moment of a consent, aware (a time without a zone is local time), refused when
    it is before the person's birth or in the future."""
    # Compare dates first: converting a far-off naive time to UTC could overflow.
    if given_at.date() < born:
        raise VerificationError(
            "given_before_birth",
            gettext_noop("given_at = %(date)s is before the person's birth (%(born)s)."),
            date=given_at.date().isoformat(),
            born=born.isoformat(),
        )
    if given_at.date() > today + dt.timedelta(days=1):
        given_at = given_at.replace(tzinfo=None)  # far in the future: no zone arithmetic
    elif timezone.is_naive(given_at):
        given_at = timezone.make_aware(given_at)
    if timezone.is_naive(given_at) or given_at > timezone.now():
        raise VerificationError(
            "future_date",
            gettext_noop("given_at = %(date)s is in the future (today is %(today)s)."),
            date=given_at.replace(tzinfo=None).isoformat(timespec="minutes"),
            today=today.isoformat(),
        )
    return given_at


def _may_join(user: Any, number: str, date: dt.date) -> bool:
    """Whether a person who is not of the household may consent to its check (a declared
    member registered elsewhere): an adult registered in the user's scope."""
    source = lake()
    with source.lock:
        village = source.lookup.registrations([number]).get(number, {}).get("village_code", "")
    return (
        bool(village)
        and code_in_scope(user, village)
        and idcard.parse(number).age_on(date) >= ADULT_AGE
    )


def _consent_replace(
    *, user: Any, request: HttpRequest | None, household_id: str, number: str, fields: dict
) -> Consent:
    """Record a member's consent, revoking their earlier active one for this household (one
    active consent per member and household: a constraint of the table), all audited."""
    previous = list(
        Consent.objects.select_for_update().filter(
            household_id=household_id, id_number=number, revoked_at__isnull=True
        )
    )
    now = timezone.now()
    for old in previous:
        old.revoked_at, old.revoked_by = now, user
        old.save(update_fields=["revoked_at", "revoked_by"])
    consent = Consent.objects.create(
        household_id=household_id, id_number=number, recorded_by=user, **fields
    )
    audit_record_many(
        actor=user,
        request=request,
        events=[
            *(
                {
                    "action": "consent_supersede",
                    "object_type": "consent",
                    "object_id": str(old.pk),
                    "region_code": old.region_code,
                    "detail": {"household": old.household_id, "superseded_by": consent.pk},
                }
                for old in previous
            ),
            {
                "action": "consent_record",
                "object_type": "consent",
                "object_id": str(consent.pk),
                "region_code": consent.region_code,
                "detail": {
                    "household": household_id,
                    "method": consent.method,
                    "form_sha256": consent.form_sha256,
                    "supersedes": [c.pk for c in previous],
                },
            },
        ],
    )
    return consent


def _revocable(*, user: Any, request: HttpRequest | None, consent_id: int) -> None:
    """Pass when the user may revoke consents and this one is in their scope; otherwise the
    refusal is audited (a consent out of scope answers 404, as if it did not exist)."""
    require(
        user, roles.REVOKE_CONSENT, request=request, object_type="consent", object_id=consent_id
    )
    if not Consent.objects.for_user(user).filter(pk=consent_id).exists():
        not_found(
            VerificationError,
            "consent_not_found",
            gettext_noop("Consent %(id)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="consent_revoke",
            object_type="consent",
            object_id=consent_id,
            id=consent_id,
        )


def consent_to_revoke(*, user: Any, request: HttpRequest | None, consent_id: int) -> Consent:
    """A consent the user may revoke, for the page that asks to confirm (a read of the
    member's masked ID number, audited)."""
    _revocable(user=user, request=request, consent_id=consent_id)
    consent = Consent.objects.for_user(user).select_related("recorded_by").get(pk=consent_id)
    personal_data_read(
        actor=user,
        request=request,
        object_type="consent",
        object_id=str(consent.pk),
        region_code=consent.region_code,
        fields=["id_number"],
    )
    return consent


def consent_revoke(*, user: Any, request: HttpRequest | None, consent_id: int) -> Consent:
    """Revoke a consent: further checks of the household are refused until a new one."""
    _revocable(user=user, request=request, consent_id=consent_id)
    with transaction.atomic():
        consent = Consent.objects.for_user(user).select_for_update().get(pk=consent_id)
        if consent.revoked_at is None:
            consent.revoked_at, consent.revoked_by = timezone.now(), user
            consent.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                actor=user,
                action="consent_revoke",
                request=request,
                object_type="consent",
                object_id=str(consent.pk),
                region_code=consent.region_code,
                detail={"household": consent.household_id},
            )
    return consent


def check_run(
    *,
    user: Any,
    request: HttpRequest | None,
    household_id: str,
    date: dt.date,
    declared: tuple[dict, list[dict]] | None = None,
    source: str = "web",
) -> Check:
    """Run a check: refuse without every adult member's active consent; keep the report;
    write the read of personal data to the audit log."""
    household_id = household_number(household_id)
    require(user, roles.RUN_CHECK, request=request, object_type="household", object_id=household_id)
    found = scoped_household(user, household_id, date, request)
    region_code = found.household["village_code"]
    if declared and declared[0]["household_id"] != household_id:
        raise VerificationError(
            "declaration_mismatch",
            gettext_noop("The declaration is of household %(declared)s, not of %(household)s."),
            declared=declared[0]["household_id"],
            household=household_id,
        )
    # Those who authorise are the adults of today, whatever the date the check is made as of.
    active = consents_active(household_id)
    missing = [m for m in adults(found, timezone.localdate()) if m["id_number"] not in active]
    if missing:
        audit_record(
            actor=user,
            action="check_refused",
            request=request,
            object_type="household",
            object_id=household_id,
            region_code=region_code,
            outcome="denied",
            detail={"reason": "consent_missing", "members": len(missing)},
        )
        raise VerificationError(
            "consent_missing",
            gettext_noop(
                "The check is refused: %(count)s adult member(s) have not authorised it "
                "(授权核对): %(members)s. Record their consent first."
            ),
            status=403,
            count=len(missing),
            members="、".join(idcard.mask(m["id_number"]) for m in missing),
        )
    source_lake = lake()
    with source_lake.lock:
        unchecked, read_regions, refused = _declared_access(
            user, found, declared, source_lake.lookup
        )
        readable = [
            m["person_id"]
            for m in (declared[1] if declared else [])
            if m["person_id"] not in unchecked
        ]
        if any(i not in {m["id_number"] for m in found.members} for i in readable):
            found = source_lake.lookup.household(household_id, also=readable)
        report = build_report(
            source_lake.lookup,
            source_lake.explainer,
            household_id,
            date,
            declared=declared,
            settings=check_settings(),
            today=timezone.localdate(),
            found=found,
            unchecked=unchecked,
        )
    report["read_regions"] = sorted({region_code, *read_regions})
    if refused:
        # The person's own region learns that someone tried to read them, and was refused.
        audit_record_many(
            actor=user,
            request=request,
            events=[
                {
                    "action": "read_personal",
                    "object_type": "person",
                    "object_id": idcard.mask(pid),
                    "region_code": village,
                    "outcome": "denied",
                    "detail": {"reason": "outside_scope", "household": household_id},
                }
                for pid, village in refused.items()
            ],
        )

    def create(number: str) -> Check:
        check = Check.objects.create(
            number=number,
            household_id=household_id,
            region_code=region_code,
            as_of=date,
            officer=user,
            source=source,
            flagged=report["flagged"],
            complete=report["complete"],
            report=report | {"number": number},
        )
        # The check and its audit events are kept together or not at all.
        _audit_report_read(user=user, request=request, check=check, unmasked=False)
        return check

    return create_numbered(Check, "HD", region_code, create)


def check_read(*, user: Any, request: HttpRequest | None, number: str, unmask: bool) -> Check:
    """A check in the user's scope; every read is audited, unmasking needs the permission."""
    require(
        user, roles.VIEW_CHECK, request=request, object_type="verification_check", object_id=number
    )
    check = Check.objects.for_user(user).filter(number=number).first()
    if check is None:
        not_found(
            VerificationError,
            "check_not_found",
            gettext_noop("Report %(number)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="read_personal",
            object_type="verification_check",
            object_id=number,
            number=number,
        )
    if unmask and not user.has_perm(UNMASK_PERMISSION):
        audit_record(
            actor=user,
            action="unmask",
            request=request,
            object_type="verification_check",
            object_id=number,
            region_code=check.region_code,
            outcome="denied",
        )
        raise VerificationError(
            "unmask_denied",
            gettext_noop("You are not permitted to see unmasked personal data."),
            status=403,
        )
    _audit_report_read(user=user, request=request, check=check, unmasked=unmask)
    return check


def _audit_report_read(*, user: Any, request: HttpRequest | None, check: Check, unmasked: bool):
    """A read of a report is a read of every person in it: one event in each region where
    one of them is registered, so that each region's administrators see it."""
    regions = check.report.get("read_regions") or [check.region_code]
    audit_record_many(
        actor=user,
        request=request,
        events=[
            {
                "action": "unmask" if unmasked else "read_personal",
                "object_type": "verification_check",
                "object_id": check.number,
                "region_code": code,
                "detail": {"fields": ["feeds", "members"], "unmasked": unmasked},
            }
            for code in regions
        ],
    )


def _declared_access(
    user: Any, found, declared: tuple[dict, list[dict]] | None, lookup: Lookup
) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """Which declared members outside the hukou household may be read: those registered in
    the user's scope who gave their own active consent for this household (the cross-county
    rule, docs/security.md). Returns (ID number → why not, regions of those read, ID number →
    region of those registered outside the user's scope)."""
    if not declared:
        return {}, set(), {}
    limit = settings.VERIFY_MAX_DECLARED_MEMBERS
    if len(declared[1]) > limit:
        raise VerificationError(
            "too_many_members",
            gettext_noop("The declaration lists %(count)s members; at most %(limit)s are allowed."),
            count=len(declared[1]),
            limit=limit,
        )
    household_id = found.household["household_id"]
    own = {m["id_number"] for m in found.members if m["household_id"] == household_id}
    others = [m["person_id"] for m in declared[1] if m["person_id"] not in own]
    if not others:
        return {}, set(), {}
    registered = lookup.registrations(others)
    consented = consents_active(household_id)
    unchecked: dict[str, str] = {}
    regions: set[str] = set()
    refused: dict[str, str] = {}
    for pid in others:
        village = registered.get(pid, {}).get("village_code", "")
        if not village or not code_in_scope(user, village):
            unchecked[pid] = "outside_scope"
            if village:
                refused[pid] = village
        elif pid not in consented:
            unchecked[pid] = "consent_missing"
        else:
            regions.add(village)
    return unchecked, regions, refused


def masked(report: dict) -> dict:
    """The report with names and ID numbers masked (the default view)."""
    from minzheng.exchange.feeds import FEEDS, mask_value
    from minzheng.lib.names import mask_name

    ids = {m["id_number"]: idcard.mask(m["id_number"]) for m in report["members"]}

    def hide(value: Any) -> Any:
        if isinstance(value, str):
            return ids.get(value, value)
        if isinstance(value, list):
            return [hide(v) for v in value]
        if isinstance(value, dict):
            return {k: hide(v) for k, v in value.items()}
        return value

    out = hide(report)
    for member in out["members"]:
        member["name"] = mask_name(member["name"] or "")
        member["birth_date"] = member["birth_date"][:4] + "-**-**"
        for line in member["lines"]:
            feed = FEEDS.get(line["feed"])
            for key, value in line["values"].items():
                if feed is not None and key in feed.column_names and value:
                    line["values"][key] = mask_value(feed.column(key).mask, value)
    return out


def batch_check(
    *,
    officer: Any,
    lake_path: Path,
    household_ids: list[str],
    date: dt.date,
    out: Path,
    progress=None,
) -> dict:
    """A periodic review under one officer: households outside the officer's scope or
    without every adult's consent are refused (and listed); each household checked is a
    read of personal data in the audit log."""
    from minzheng.verification.batch import household_facts, verify_batch

    require(officer, roles.RUN_CHECK, object_type="batch", object_id=str(out))
    today = timezone.localdate()
    if date > today:
        raise VerificationError(
            "future_date",
            gettext_noop("date = %(date)s is in the future (today is %(today)s)."),
            date=date.isoformat(),
            today=today.isoformat(),
        )
    facts = household_facts(lake_path, household_ids, today)
    consented: dict[str, set[str]] = {}
    for start in range(0, len(household_ids), 5000):
        rows = Consent.objects.filter(
            household_id__in=household_ids[start : start + 5000], revoked_at__isnull=True
        ).values_list("household_id", "id_number")
        for hid, pid in rows:
            consented.setdefault(hid, set()).add(pid)
    refused = {}
    for hid, (village, adult_ids) in facts.items():
        if not code_in_scope(officer, village):
            refused[hid] = "out_of_scope"
        elif adult_ids - consented.get(hid, set()):
            refused[hid] = "consent_missing"
    summary = verify_batch(
        lake_path,
        household_ids,
        date,
        out,
        refused=refused,
        stale_days=settings.VERIFY_STALE_DAYS,
        progress=progress,
    )
    events = [
        {
            "action": "check_refused" if hid in refused else "read_personal",
            "object_type": "household",
            "object_id": hid,
            "region_code": village,
            "outcome": "denied" if hid in refused else "success",
            "detail": {"batch": str(out), "reason": refused.get(hid, "")},
        }
        for hid, (village, _adults) in facts.items()
        if refused.get(hid) != "out_of_scope"  # nothing of it was read or shown
    ]
    events.append(
        {
            "action": "batch_check",
            "object_type": "batch",
            "object_id": str(out),
            "region_code": officer.region.code if officer.region else "",
            "detail": {k: summary[k] for k in ("date", "households", "checked", "flagged")},
        }
    )
    audit_record_many(actor=officer, events=events)
    return summary
