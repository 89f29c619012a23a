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
CHANGE_COLUMNS = (
    ("persons", gettext_noop("persons")),
    ("mean_before", gettext_noop("income per person before (yuan a month)")),
    ("mean_after", gettext_noop("income per person after (yuan a month)")),
    ("mean_change", gettext_noop("average change (yuan a month)")),
    ("relative_change", gettext_noop("relative change")),
)
BAND_LABELS = {
    "lose_more_than_5pct": gettext_noop("lose more than 5%"),
    "lose_less_than_5pct": gettext_noop("lose 0.1–5%"),
    "no_change": gettext_noop("no change"),
    "gain_less_than_5pct": gettext_noop("gain 0.1–5%"),
    "gain_more_than_5pct": gettext_noop("gain more than 5%"),
}
TYPE_LABELS = {
    "older": gettext_noop("households with older people (60+)"),
    "child": gettext_noop("households with children"),
    "disability": gettext_noop("households with a disabled member"),
    "urban": gettext_noop("urban households"),
    "rural": gettext_noop("rural households"),
}
TARGETING_COLUMNS = (
    ("covered_households", gettext_noop("households covered")),
    ("ideal_households", gettext_noop("households in the ideal population")),
    ("leaked_households", gettext_noop("covered, not in the ideal population")),
    ("missed_households", gettext_noop("in the ideal population, not covered")),
    ("leakage_households", gettext_noop("leakage")),
    ("under_coverage_households", gettext_noop("under-coverage")),
    ("leakage_persons", gettext_noop("leakage (persons)")),
    ("under_coverage_persons", gettext_noop("under-coverage (persons)")),
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
    _distribution_sheets(book, run)
    book.save(path)


def _change_row(row: dict) -> list:
    return [_cell(row[k]) for k, _label in CHANGE_COLUMNS] + [
        row["bands"][band] for band in BAND_LABELS
    ]


def _distribution_sheets(book, run: dict) -> None:
    spread = run.get("distribution") or {}
    if not spread:
        return
    head = [_(label) for _k, label in CHANGE_COLUMNS] + [_(b) for b in BAND_LABELS.values()]
    deciles = book.create_sheet(_("Income deciles"))
    deciles.append([_("scenario"), _("decile")] + head)
    types = book.create_sheet(_("Household types"))
    types.append([_("scenario"), _("household type")] + head)
    cities = book.create_sheet(_("Distribution by city"))
    cities.append([_("scenario"), _("region")] + head)
    gini = book.create_sheet(_("Gini and Lorenz"))
    gini.append(
        [_("scenario"), _("Gini before"), _("Gini after"), _("population share")]
        + [_("income share before"), _("income share after")]
    )
    targeting = book.create_sheet(_("Targeting"))
    targeting.append(
        [_("scenario"), _("region"), _("ideal population"), _("policy")]
        + [_(label) for _k, label in TARGETING_COLUMNS]
    )
    for name, figures in spread.items():
        deciles.append([name, _("all")] + _change_row(figures["province"]))
        for row in figures["deciles"]:
            deciles.append([name, row["decile"]] + _change_row(row))
        for kind, row in figures["types"].items():
            types.append([name, _(TYPE_LABELS[kind])] + (_change_row(row) if row else []))
        for row in figures["cities"]:
            cities.append([name, labelled(row["city"])] + _change_row(row))
        before, after = figures["lorenz"]["before"], figures["lorenz"]["after"]
        for i, ((share, b), (_s, a)) in enumerate(zip(before, after, strict=True)):
            first = [figures["gini"]["before"], figures["gini"]["after"]] if i == 0 else ["", ""]
            gini.append([name, *first, share, b, a])
        if figures.get("budget"):
            if "budget" not in book.sheetnames:
                sheet = book.create_sheet("budget")
                sheet.title = _("Budget")
                sheet.append(
                    [_("scenario"), _("annual budget (yuan)"), _("strategy")]
                    + [_("households covered"), _("left out"), _("factor"), _("annual cost (yuan)")]
                )
            sheet = book[_("Budget")]
            b = figures["budget"]
            for key, label in (
                ("no_limit", _("no limit")),
                ("cap", _("cap (the neediest first)")),
                ("proportional", _("proportional reduction")),
            ):
                row = b[key]
                sheet.append(
                    [name, _cell(b["budget"]), label, row["households"], row.get("left_out", 0)]
                    + [_cell(row.get("factor", 1)), _cell(row["annual_cost"])]
                )
        shown = figures.get("targeting")
        if shown:
            rows = [("330000", _("baseline"), shown["baseline"])]
            rows += [("330000", _("scenario"), shown["scenario"])]
            rows += [(r["city"], _("scenario"), r) for r in shown["cities"]]
            for code, policy, row in rows:
                targeting.append(
                    [name, labelled(code), shown["ideal"], policy]
                    + [row[k] for k, _label in TARGETING_COLUMNS]
                )
