"""What the report's codes mean to a reader: feeds, columns and enumerated values, translated
lazily (columns and values in their own contexts: "parent" here is a relative, not a region)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from minzheng.exchange.feeds import FEEDS as DECLARED

# Feeds and their columns, as declared (minzheng.exchange.feeds), by name.
FEEDS = {name: feed.label for name, feed in DECLARED.items()}
COLUMNS = {c.name: c.label for f in DECLARED.values() if f.lookup for c in f.all_columns}
# A column's codes (a column name means the same codes in every feed that has it).
COLUMN_VALUES: dict[str, dict] = {}
for _feed in DECLARED.values():
    for _column in _feed.all_columns:
        COLUMN_VALUES.setdefault(_column.name, {}).update(_column.codes or {})
# Codes shown without their column: every feed value, and the engine's statuses.
VALUES = {
    code: label
    for codes in COLUMN_VALUES.values()
    for code, label in codes.items()
    if label.context == "feed value" and code
} | {
    "eligible": pgettext_lazy("feed value", "eligible"),
    "ineligible": pgettext_lazy("feed value", "ineligible"),
    "gradual_exit": pgettext_lazy("feed value", "gradual exit"),
    "single_person": pgettext_lazy("feed value", "single-person household"),
}


def value_text(value: Any, column: str | None = None) -> str:
    """A line's value for a reader: booleans as yes/no, codes translated (by the column's own
    table first), empty as —."""
    if value is True:
        return str(gettext_lazy("yes"))
    if value is False:
        return str(gettext_lazy("no"))
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        label = COLUMN_VALUES.get(column or "", {}).get(value) or VALUES.get(value)
        if label is not None:
            return str(label)
    return str(value)
