"""How the data steward's pages say things: feeds, counties and quarantine reasons in words,
values masked as their columns are declared."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext, pgettext_lazy

from minzheng.exchange.feeds import FEEDS
from minzheng.exchange.models import Delivery
from minzheng.exchange.services import LINE_VALUED, masked_reasons

# One label per reason code of the ingestion (docs/exchange.md lists them).
REASON_LABELS = {
    "missing": pgettext_lazy("quarantine reason", "value missing"),
    "bad_id_number": pgettext_lazy(
        "quarantine reason", "not a valid ID number (pattern, birth date or check digit)"
    ),
    "bad_household_id": pgettext_lazy("quarantine reason", "not a valid hukou number"),
    "bad_region": pgettext_lazy("quarantine reason", "not a township or village code"),
    "bad_date": pgettext_lazy("quarantine reason", "not a date"),
    "date_out_of_range": pgettext_lazy(
        "quarantine reason", "date before 1900 or after the as-of date"
    ),
    "bad_number": pgettext_lazy("quarantine reason", "not a number"),
    "below_minimum": pgettext_lazy("quarantine reason", "below the minimum (a negative amount)"),
    "bad_bool": pgettext_lazy("quarantine reason", "not a yes/no value"),
    "unknown_code": pgettext_lazy("quarantine reason", "a code that is not allowed"),
    "unknown_county": pgettext_lazy("quarantine reason", "unknown county"),
    "malformed_line": pgettext_lazy("quarantine reason", "malformed line (wrong number of fields)"),
    "duplicate": pgettext_lazy("quarantine reason", "duplicate of an earlier row"),
    "duplicate_conflict": pgettext_lazy(
        "quarantine reason", "same key as other rows with different values"
    ),
}


def feed_label(name: str) -> str:
    """The feed's Chinese label, or its name when it is no longer declared."""
    declared = FEEDS.get(name)
    return str(declared.label) if declared else name


def column_label(feed: str, column: str) -> str:
    declared = FEEDS.get(feed)
    if declared is None or column not in declared.column_names:
        return column
    return str(declared.column(column).label)


def reasons_shown(feed: str, reasons: list[dict]) -> list[dict]:
    """A quarantined row's reasons in words: the column's label, the reason's label and the
    offending value masked as the column is declared (数据分级)."""
    shown = []
    for reason in masked_reasons(feed, reasons):
        code = reason.get("code") or ""
        value = reason.get("value")
        if code in LINE_VALUED and value:
            value = gettext("lines %(lines)s") % {"lines": str(value).replace(",", ", ")}
        shown.append(
            {
                "code": code,
                "label": REASON_LABELS.get(code, code),
                "column": column_label(feed, reason.get("column") or ""),
                "value": "" if value is None else value,
            }
        )
    return shown


def counties_shown(delivery: Delivery, names: dict[str, str], limit: int = 3) -> str:
    """The delivery's counties by name: all of a few, or the first ones and how many."""
    codes = list(delivery.counties)
    named = pgettext("list separator", ", ").join(names.get(c, c) for c in codes[:limit])
    if len(codes) <= limit:
        return named
    return gettext("%(first)s and %(more)s more counties") % {
        "first": named,
        "more": len(codes) - limit,
    }
