"""The monthly payment run (发放), its lists and the bank's return (对账).

A run is one county's month. It pays every active enrolment of the county that covers the
month the amount the engine computes for that month over the inputs frozen with the case's
decision (see `entitlements`), leaves out the members who died before the month, and ends
the enrolments of beneficiaries who died. Each payment is one line with a unique key per
programme, beneficiary and month, so that a second run of the month adds only what is
missing and pays nobody twice; the whole run is one transaction, so a crash leaves either all
of it or nothing. The bank's return marks lines paid or failed; a failed line may be re-issued
once, to a corrected account.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.http import HttpRequest
from django.utils import timezone

from minzheng.accounts import roles
from minzheng.accounts.permissions import not_found, require
from minzheng.audit.services import audit_record
from minzheng.cases import entitlements
from minzheng.cases.models import Case, Enrolment, Payment, PaymentRun
from minzheng.lib.i18n import RequestError, gettext_noop, pgettext_lazy, shorten
from minzheng.regions.scoping import code_in_scope

# Households evaluated by the engine at once: a whole county, mostly (each call costs about
# half a second of compiling the rules however few households it has; see benchmarks.md).
CHUNK = 20_000
CENT = Decimal("0.01")
MAX_RETURN_BYTES = 20 * 1024 * 1024
MAX_ERRORS_SHOWN = 20
ACCOUNT = re.compile(r"[0-9]{8,32}")
RETURN_STATUS = {
    "paid": Payment.Status.PAID,
    "成功": Payment.Status.PAID,
    "failed": Payment.Status.FAILED,
    "失败": Payment.Status.FAILED,
}
RUN_NUMBER = re.compile(r"FF[0-9]{12}")
STOPPED = {
    "died": pgettext_lazy("payment stopped", "the beneficiary died"),
    "household_died": pgettext_lazy("payment stopped", "no member of the household is alive"),
    "not_owed": pgettext_lazy("payment stopped", "the rules give no amount for this month"),
}


class PaymentError(RequestError):
    """A payment step refused: the message names the field or the rule."""


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def month_of(value: Any, field: str = "month") -> dt.date:
    """The first day of the month `value` names (2026-11 or a date in it)."""
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return dt.date.fromisoformat(f"{text}-01")
        return dt.date.fromisoformat(text).replace(day=1)
    except ValueError:
        raise PaymentError(
            "bad_month",
            gettext_noop("%(field)s: %(value)s is not a month (write it as 2026-11)."),
            field=field,
            value=shorten(text),
        ) from None


def payee_of(data: Any) -> dict:
    """A payee account {name, bank, account} checked field by field (empty: none given)."""
    if not data:
        return {}
    if not isinstance(data, dict):
        raise PaymentError(
            "bad_payee", gettext_noop("payee: expected name, bank and account."), status=400
        )
    out = {}
    for field, limit in (("name", 40), ("bank", 40)):
        value = str(data.get(field) or "").replace("\x00", "").strip()
        if not value or len(value) > limit:
            raise PaymentError(
                "bad_payee_field",
                gettext_noop("payee.%(field)s: required, at most %(limit)s characters."),
                field=field,
                limit=limit,
            )
        out[field] = value
    account = re.sub(r"[\s-]", "", str(data.get("account") or ""))
    if not ACCOUNT.fullmatch(account):
        raise PaymentError(
            "bad_account",
            gettext_noop("payee.account: %(value)s is not a bank account number (8–32 digits)."),
            value=shorten(account) or "—",
        )
    out["account"] = account
    return out


def _county_of(user: Any, county: Any, request: HttpRequest | None) -> str:
    from minzheng.regions.models import Region

    code = str(county).strip()
    region = Region.objects.filter(code=code).first() if re.fullmatch(r"\d{6}", code) else None
    if region is None or not code_in_scope(user, code):
        not_found(
            PaymentError,
            "county_not_found",
            gettext_noop("County %(county)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="payment_run",
            object_type="region",
            object_id=code[:12],
            county=shorten(code),
        )
    return code


def run_get(*, user: Any, request: HttpRequest | None, number: str) -> PaymentRun:
    """A payment run of the user's scope (not found and out of scope: one audited 404)."""
    require(user, roles.VIEW_PAYMENT, request=request, object_type="payment_run", object_id=number)
    wanted = str(number) if RUN_NUMBER.fullmatch(str(number)) else None
    run = PaymentRun.objects.for_user(user).filter(number=wanted).first() if wanted else None
    if run is None:
        not_found(
            PaymentError,
            "run_not_found",
            gettext_noop("Payment run %(number)s does not exist or is outside your scope."),
            user=user,
            request=request,
            action="payment_read",
            object_type="payment_run",
            object_id=str(number)[:150],
            number=shorten(str(number)),
        )
    return run


def _due(county: str, month: dt.date):
    """The county's enrolments that cover the month and are not yet paid for it."""
    paid = Payment.objects.filter(month=month, reissue_of__isnull=True)
    return (
        Enrolment.objects.filter(
            region_code__startswith=county,
            status=Enrolment.Status.ACTIVE,
            start_month__lte=month,
        )
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
        .exclude(pk__in=paid.filter(region_code__startswith=county).values("enrolment_id"))
        .order_by("region_code", "household_id", "programme", "beneficiary")
    )


def compute(county: str, month: dt.date) -> tuple[list[dict], list[dict]]:
    """(the lines to pay, the enrolments stopped with why) for the county's month: a pure
    computation, nothing written."""
    from minzheng.verification.services import lake

    due = list(
        _due(county, month).values(
            "pk",
            "case_id",
            "programme",
            "household_id",
            "beneficiary",
            "region_code",
            "monthly_amount",
            "start_month",
        )
    )
    frozen: dict[int, Any] = {}
    payees: dict[int, dict] = {}
    case_ids = sorted({e["case_id"] for e in due if e["case_id"]})
    for i in range(0, len(case_ids), CHUNK):
        for pk, inputs, payee in Case.objects.filter(pk__in=case_ids[i : i + CHUNK]).values_list(
            "pk", "basis__inputs", "payee"
        ):
            frozen[pk] = inputs
            payees[pk] = payee or {}
    ids = {e["beneficiary"] for e in due if entitlements.per_member(e["programme"])}
    for inputs in frozen.values():
        ids.update(m["person_id"] for m in (inputs or {}).get("members", []))
    source = lake()
    with source.lock:
        deaths = source.lookup.deaths(sorted(ids)) if ids else {}
    from minzheng.policy.household import from_trace

    households: dict[str, tuple[dict, list[dict]]] = {}
    last_death: dict[str, dt.date] = {}  # of a household whose members all died
    for e in due:
        inputs = frozen.get(e["case_id"])
        if inputs and e["household_id"] not in households:
            typed = entitlements.without_the_dead(from_trace(inputs), deaths, month)
            households[e["household_id"]] = typed
            if not typed[1]:
                last_death[e["household_id"]] = max(
                    (deaths[m["person_id"]] for m in inputs["members"] if m["person_id"] in deaths),
                    default=month,
                )
    amounts: dict[str, dict] = {}
    keys = list(households)
    for i in range(0, len(keys), CHUNK):
        part = {k: households[k] for k in keys[i : i + CHUNK]}
        amounts |= entitlements.monthly(part, month, {e["programme"] for e in due})
    lines, stopped = [], []
    for e in due:
        died = deaths.get(e["beneficiary"])
        inputs = households.get(e["household_id"])
        if died is not None and died < month:
            stopped.append(e | {"why": "died", "died": died})
            continue
        if inputs is None:  # an enrolment without frozen inputs: the amount decided
            amount = e["monthly_amount"]
        elif not inputs[1]:
            stopped.append(e | {"why": "household_died", "died": last_death[e["household_id"]]})
            continue
        else:
            amount = (
                amounts.get(e["household_id"], {})
                .get(e["programme"], {})
                .get(e["beneficiary"], Decimal(0))
            )
        if amount <= 0:
            stopped.append(e | {"why": "not_owed"})
            continue
        lines.append(e | {"amount": amount, "payee": payees.get(e["case_id"], {})})
    return lines, stopped


def payment_run(*, user: Any, request: HttpRequest | None, county: str, month: Any) -> PaymentRun:
    """Pay the county's month: the lines not yet paid, in one transaction (see the module)."""
    require(user, roles.PAY, request=request, object_type="region", object_id=str(county)[:12])
    month = month_of(month)
    county = _county_of(user, county, request)
    if month > next_month(timezone.localdate()):
        raise PaymentError(
            "month_in_future",
            gettext_noop("month: %(month)s is too far ahead; the latest month is %(latest)s."),
            month=f"{month:%Y-%m}",
            latest=f"{next_month(timezone.localdate()):%Y-%m}",
        )
    from minzheng.verification.services import lake

    lines, stopped = compute(county, month)
    try:
        with transaction.atomic():
            run, _created = PaymentRun.objects.get_or_create(
                county_code=county,
                month=month,
                defaults={
                    "number": f"FF{county}{month:%Y%m}",
                    "created_by": user,
                    "snapshot": lake().lookup.manifest.get("snapshot_date", ""),
                },
            )
            run = PaymentRun.objects.select_for_update().get(pk=run.pk)
            last = run.payments.aggregate(m=Max("line"))["m"] or 0
            Payment.objects.bulk_create(
                [
                    Payment(
                        run=run,
                        line=last + i,
                        enrolment_id=e["pk"],
                        programme=e["programme"],
                        beneficiary=e["beneficiary"],
                        household_id=e["household_id"],
                        region_code=e["region_code"],
                        month=month,
                        amount=e["amount"],
                        payee=e["payee"],
                    )
                    for i, e in enumerate(lines, start=1)
                ],
                batch_size=2000,
            )
            _stop(stopped, month)
            # what the last run stopped (those not owed are found again by every run)
            run.notes = {
                "stopped": dict(Counter(s["why"] for s in stopped)),
                "last_added": len(lines),
            }
            run.save(update_fields=["notes", "updated_at"])
            audit_record(
                actor=user,
                action="payment_run",
                request=request,
                object_type="payment_run",
                object_id=run.number,
                region_code=county,
                detail={
                    "month": f"{month:%Y-%m}",
                    "added": len(lines),
                    "added_sum": str(sum((e["amount"] for e in lines), Decimal(0))),
                    "stopped": len(stopped),
                },
            )
    except IntegrityError:
        raise PaymentError(
            "run_conflict",
            gettext_noop(
                "Another payment run of %(county)s for %(month)s was saved at the same time; "
                "run it again to add what is still missing."
            ),
            status=409,
            county=county,
            month=f"{month:%Y-%m}",
        ) from None
    return run


def _stop(stopped: list[dict], month: dt.date) -> None:
    """End the enrolments of beneficiaries who died, from the month after the death (a
    programme the rules no longer pay is left to the periodic review)."""
    for e in stopped:
        if e["why"] == "not_owed":
            continue
        died = e["died"].replace(day=1)
        Enrolment.objects.filter(pk=e["pk"], status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.ENDED,
            end_month=max(died, e["start_month"]),
            status_reason=str(STOPPED[e["why"]]) + f" ({e['died']:%Y-%m-%d})",
        )


def totals(run: PaymentRun) -> dict:
    """The control totals: lines and sum, by programme and by status."""
    rows = run.payments.values("programme", "status").annotate(n=Count("pk"), total=Sum("amount"))
    by_programme: dict[str, dict] = defaultdict(lambda: {"count": 0, "sum": Decimal(0)})
    by_status: dict[str, dict] = defaultdict(lambda: {"count": 0, "sum": Decimal(0)})
    for r in rows:
        for bucket in (by_programme[r["programme"]], by_status[r["status"]]):
            bucket["count"] += r["n"]
            bucket["sum"] += Decimal(r["total"]).quantize(CENT)  # SQLite sums are not exact
    return {
        "count": sum(b["count"] for b in by_status.values()),
        "sum": sum((b["sum"] for b in by_status.values()), Decimal(0)),
        "by_programme": dict(sorted(by_programme.items())),
        "by_status": dict(by_status),
    }


def _read_returns(data: bytes) -> list[dict]:
    if len(data) > MAX_RETURN_BYTES:
        raise PaymentError(
            "return_too_large",
            gettext_noop("The return file is larger than %(limit)s MB."),
            limit=MAX_RETURN_BYTES // (1024 * 1024),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")  # reads every GBK file as well
    return list(csv.DictReader(io.StringIO(text.replace("\x00", ""))))


def payment_returns(*, user: Any, request: HttpRequest | None, number: str, data: bytes) -> dict:
    """Apply the bank's return file (CSV: line_id, status paid/failed, reason) to the run:
    all of it, or nothing when a line is wrong (the errors name the line and the field).
    The same return twice changes nothing."""
    run = run_get(user=user, request=request, number=number)
    require(user, roles.PAY, request=request, object_type="payment_run", object_id=run.number)
    try:
        rows = _read_returns(data)
    except (UnicodeDecodeError, csv.Error, ValueError):
        raise PaymentError(
            "bad_return_file", gettext_noop("The return file is not a readable CSV file.")
        ) from None
    errors: list[str] = []
    wanted: dict[int, tuple[str, str]] = {}
    prefix = f"{run.number}-"
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        line_id = str(row.get("line_id") or "").strip()
        status = RETURN_STATUS.get(str(row.get("status") or "").strip().lower())
        reason = str(row.get("reason") or "").replace("\x00", "").strip()[:200]
        if not (line_id.startswith(prefix) and line_id[len(prefix) :].isdigit()):
            errors.append(f"{i}: line_id={shorten(line_id) or '—'}")
        elif status is None:
            errors.append(f"{i}: status={shorten(str(row.get('status') or '')) or '—'}")
        elif status == Payment.Status.FAILED and not reason:
            errors.append(f"{i}: reason=—")
        else:
            wanted[int(line_id[len(prefix) :])] = (status, reason)
    found = {p.line: p for p in run.payments.filter(line__in=list(wanted))}
    for line, (status, _reason) in wanted.items():
        p = found.get(line)
        if p is None:
            errors.append(f"line_id={prefix}{line:06d}")
        elif p.status != Payment.Status.ISSUED and p.status != status:
            errors.append(f"line_id={p.line_id}: {p.get_status_display()}")
    if errors or not rows:
        raise PaymentError(
            "bad_return_lines",
            gettext_noop(
                "The return file was not applied: %(count)s line(s) are wrong "
                "(row: field=value): %(errors)s"
            ),
            count=len(errors) or 1,
            errors="; ".join(errors[:MAX_ERRORS_SHOWN]) or "—",
        )
    now = timezone.now()
    changed = Counter()
    with transaction.atomic():
        for line, (status, reason) in wanted.items():
            p = found[line]
            if p.status == status:
                continue
            Payment.objects.filter(pk=p.pk, status=Payment.Status.ISSUED).update(
                status=status, reason=reason, returned_at=now
            )
            changed[status] += 1
        audit_record(
            actor=user,
            action="payment_returns",
            request=request,
            object_type="payment_run",
            object_id=run.number,
            region_code=run.county_code,
            detail={"lines": len(wanted), **changed},
        )
    return {"lines": len(wanted), "paid": changed["paid"], "failed": changed["failed"]}


def payment_reissue(
    *, user: Any, request: HttpRequest | None, number: str, line: int, payee: Any = None
) -> Payment:
    """Re-issue a failed line once (to a corrected account when one is given)."""
    run = run_get(user=user, request=request, number=number)
    require(user, roles.PAY, request=request, object_type="payment_run", object_id=run.number)
    failed = run.payments.filter(line=line).select_related("enrolment__case").first()
    if failed is None:
        not_found(
            PaymentError,
            "line_not_found",
            gettext_noop("Line %(line)s is not a line of payment run %(number)s."),
            user=user,
            request=request,
            action="payment_reissue",
            object_type="payment",
            object_id=f"{run.number}-{shorten(str(line))}",
            line=shorten(str(line)),
            number=run.number,
        )
    if failed.status != Payment.Status.FAILED or failed.reissue_of_id is not None:
        raise PaymentError(
            "not_reissuable",
            gettext_noop(
                "Line %(line)s cannot be re-issued: only a failed line that is not itself a "
                "re-issue can, once."
            ),
            status=409,
            line=failed.line_id,
        )
    corrected = payee_of(payee) or failed.payee
    try:
        with transaction.atomic():
            run = PaymentRun.objects.select_for_update().get(pk=run.pk)
            last = run.payments.aggregate(m=Max("line"))["m"] or 0
            again = Payment.objects.create(
                run=run,
                line=last + 1,
                enrolment=failed.enrolment,
                programme=failed.programme,
                beneficiary=failed.beneficiary,
                household_id=failed.household_id,
                region_code=failed.region_code,
                month=failed.month,
                amount=failed.amount,
                payee=corrected,
                reissue_of=failed,
            )
            case = failed.enrolment.case
            if case is not None and payee:
                Case.objects.filter(pk=case.pk).update(payee=corrected)
            audit_record(
                actor=user,
                action="payment_reissue",
                request=request,
                object_type="payment",
                object_id=again.line_id,
                region_code=failed.region_code,
                detail={"of": failed.line_id, "account_changed": bool(payee)},
            )
    except IntegrityError:
        raise PaymentError(
            "not_reissuable",
            gettext_noop(
                "Line %(line)s cannot be re-issued: only a failed line that is not itself a "
                "re-issue can, once."
            ),
            status=409,
            line=failed.line_id,
        ) from None
    return again
