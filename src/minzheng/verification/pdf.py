"""The printable report (fpdf2, with the CJK font of Debian's fonts-noto-cjk embedded)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from minzheng.lib.pdf import FONT, HEADINGS, Document
from minzheng.verification.present import present


def render_pdf(check, report: dict, *, officer: str, unmasked: bool) -> bytes:
    """The PDF of one check (the report as stored; `report` masked or not by the caller)."""
    view = present(report)
    pdf = Document(_("Report %(number)s") % {"number": check.number})
    pdf.headline(_("Household economic-status verification report"))
    header = [
        (_("Report number"), check.number),
        (_("Household"), report["household_id"]),
        (_("Region"), report["village_code"]),
        (_("As of"), report["date"]),
        (_("Produced at"), timezone.localtime(check.created_at).strftime("%Y-%m-%d %H:%M")),
        (_("Checking officer"), officer),
        (_("Printed at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        (_("Complete"), _("yes") if report["complete"] else _("NO — see the notices")),
        (_("Personal data"), _("unmasked") if unmasked else _("masked")),
    ]
    pdf.pairs(header)
    bold = HEADINGS

    def heading(text: str) -> None:
        pdf.heading(text)
        pdf.set_font(FONT, size=8)

    if view["notice_texts"]:
        heading(_("Notices"))
        for n in view["notice_texts"]:
            pdf.multi_cell(0, 5, f"• {n['text']}", new_x="LMARGIN", new_y="NEXT")
    heading(_("Decision aid: the programmes on the declared and on the found data"))
    with pdf.table(col_widths=(40, 30, 30, 12), headings_style=bold, line_height=5) as table:
        table.row([_("Programme"), _("Declared data"), _("Found data"), _("Changed")])
        for r in view["programme_rows"]:
            table.row([r["label"], r["declared"], r["found"], _("yes") if r["changed"] else ""])
    if view["decisive_rows"]:
        pdf.ln(2)
        with pdf.table(col_widths=(30, 70), headings_style=bold, line_height=5) as table:
            table.row([_("Flagged item"), _("Taking the found value alone changes")])
            for r in view["decisive_rows"]:
                table.row([r["label"], r["changes"]])
    heading(_("Household totals"))
    with pdf.table(col_widths=(40, 25, 25, 12), headings_style=bold, line_height=5) as table:
        table.row([_("Item"), _("Declared"), _("Found"), _("Flagged")])
        for t in view["totals"]:
            table.row(
                [
                    t["label"],
                    "—" if t["declared"] is None else str(t["declared"]),
                    str(t["found"]),
                    _("differs") if t["flagged"] else "",
                ]
            )
    for m in view["members"]:
        heading(
            f"{m['name'] or '—'}　{m['id_number']}　{m['relation_text']}　"
            + _("age %(age)s") % {"age": m["age"]}
        )
        with pdf.table(col_widths=(40, 25, 25, 12), headings_style=bold, line_height=5) as table:
            table.row([_("Item"), _("Declared"), _("Found"), _("Flagged")])
            for c in m["comparisons"]:
                table.row(
                    [
                        c["label"],
                        str(c["declared"] if c["declared"] is not None else "—"),
                        str(c["found"] if c["found"] is not None else "—"),
                        _("differs") if c["flagged"] else "",
                    ]
                )
        if m["line_rows"]:
            pdf.ln(2)
            with pdf.table(
                col_widths=(30, 15, 18, 60), headings_style=bold, line_height=4.5
            ) as table:
                table.row([_("Feed"), _("Department"), _("Snapshot"), _("What it says")])
                for line in m["line_rows"]:
                    stale = _(" (stale)") if line["stale"] else ""
                    items = "；".join(f"{k}：{v}" for k, v in line["items"])
                    table.row(
                        [line["label"], line["department"], line["snapshot_date"] + stale, items]
                    )
    heading(_("Feeds read"))
    with pdf.table(col_widths=(40, 20, 20, 15), headings_style=bold, line_height=5) as table:
        table.row([_("Feed"), _("Department"), _("Snapshot"), _("State")])
        for f in view["feed_rows"]:
            state = _("not read") if not f["read"] else (_("stale") if f["stale"] else _("current"))
            table.row([f["label"], f["department"], f["snapshot_date"], state])
    _signatures(pdf)
    return pdf.bytes()


def _signatures(pdf: FPDF) -> None:
    """The lines where the checking and the reviewing officer sign and date the printed
    report, and the box for the office's seal (kept together on one page)."""
    box_w, box_h, row_h = 52.0, 38.0, 12.0
    if pdf.will_page_break(box_h + 10):
        pdf.add_page()
    pdf.ln(10)
    top = pdf.get_y()
    label_w = 34.0
    line_w = pdf.epw - box_w - label_w - 10
    pdf.set_font(FONT, size=10)
    for label in (_("Checked by (signature)"), _("Reviewed by (signature)"), _("Date")):
        pdf.cell(label_w, row_h, f"{label}：", new_x="RIGHT", new_y="TOP")
        pdf.cell(line_w, row_h, "", border="B", new_x="LMARGIN", new_y="NEXT")
    box_x = pdf.l_margin + pdf.epw - box_w
    pdf.rect(box_x, top, box_w, box_h)
    pdf.set_xy(box_x, top + 2)
    pdf.cell(box_w, 6, _("Office (seal)"), align="C")
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + box_h))
