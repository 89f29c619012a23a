"""A run's results for people: the labels in Chinese (Django's i18n), the summary table of
the command line and the Excel workbook, one sheet per breakdown (openpyxl)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from minzheng.lib.divisions import labelled

# The figures of a programme, in the order shown, with their labels.
PROGRAMME_COLUMNS = (
    ("households", gettext_noop("households covered")),
    ("baseline_households", gettext_noop("households covered (baseline)")),
    ("persons", gettext_noop("persons covered")),
    ("baseline_persons", gettext_noop("persons covered (baseline)")),
    ("annual_cost", gettext_noop("annual cost (yuan)")),
    ("baseline_annual_cost", gettext_noop("annual cost, baseline (yuan)")),
    ("annual_cost_change", gettext_noop("change of annual cost (yuan)")),
    ("average_amount", gettext_noop("average monthly amount (yuan)")),
    ("newly_covered", gettext_noop("newly covered households")),
    ("newly_excluded", gettext_noop("newly excluded households")),
    ("amount_changed", gettext_noop("households whose amount changes")),
    ("caseworker_hours", gettext_noop("caseworker hours")),
)
POVERTY_COLUMNS = (
    ("persons", gettext_noop("persons")),
    ("rate_before", gettext_noop("poverty rate before transfers")),
    ("rate_after_baseline", gettext_noop("poverty rate after transfers (baseline)")),
    ("rate_after", gettext_noop("poverty rate after transfers")),
    ("gap_before", gettext_noop("poverty gap before transfers")),
    ("gap_after_baseline", gettext_noop("poverty gap after transfers (baseline)")),
    ("gap_after", gettext_noop("poverty gap after transfers")),
)
LEVEL_LABELS = {
    "province": gettext_noop("province"),
    "city": gettext_noop("city"),
    "county": gettext_noop("county"),
}


def _cell(value):
    return float(value) if isinstance(value, Decimal) else value


def workbook(path: Path, run: dict) -> None:
    """The run as an Excel workbook: the scenarios, then per level one sheet of programme
    figures and one of poverty, a row per scenario, region and programme."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Scenarios")
    sheet.append([_("scenario"), _("effective date"), _("changes")])
    for s in run["scenarios"]:
        sheet.append([s["name"], s["date"], "; ".join(s["changes"])])
    sheet.append([])
    sheet.append([_("as-of date"), run["date"]])
    sheet.append([_("lake"), run["lake"]])
    labels = run["labels"]
    for level in ("province", "city", "county"):
        sheet = book.create_sheet(_("Programmes by %(level)s") % {"level": _(LEVEL_LABELS[level])})
        sheet.append(
            [_("scenario"), _("region"), _("programme")]
            + [_(label) for _key, label in PROGRAMME_COLUMNS]
        )
        for name, by_level in run["results"].items():
            for code, figures in by_level[level].items():
                for programme, row in figures["programmes"].items():
                    sheet.append(
                        [name, labelled(code), labels.get(programme, programme)]
                        + [_cell(row[key]) for key, _label in PROGRAMME_COLUMNS]
                    )
        sheet = book.create_sheet(_("Poverty by %(level)s") % {"level": _(LEVEL_LABELS[level])})
        sheet.append([_("scenario"), _("region")] + [_(label) for _k, label in POVERTY_COLUMNS])
        for name, by_level in run["results"].items():
            for code, figures in by_level[level].items():
                row = figures["poverty"]
                sheet.append(
                    [name, labelled(code)] + [_cell(row[k]) for k, _label in POVERTY_COLUMNS]
                )
    book.save(path)
