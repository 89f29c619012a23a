"""Printable documents (fpdf2) with the project's CJK TrueType font embedded (Debian's
fonts-wqy-zenhei, installed by `make env`)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT = "cjk"
HEADINGS = FontFace(emphasis=None, fill_color=(235, 235, 235))


@cache
def font_path() -> str:
    from pathlib import Path

    path = Path(settings.PDF_FONT)
    if not path.is_file():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"MINZHENG_PDF_FONT={path}: the font file does not exist (make env installs fonts-wqy-zenhei)"
        )
    return str(path)


class Document(FPDF):
    """An A4 document with the CJK font and a footer naming it, with page numbers."""

    def __init__(self, footer: str, orientation: str = "portrait") -> None:
        super().__init__(orientation=orientation, format="A4")
        self.footer_text = footer
        self.add_font(FONT, fname=font_path())
        self.set_auto_page_break(auto=True, margin=15)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 8, f"{self.footer_text}　{self.page_no()}/{{nb}}", align="C")

    def headline(self, text: str) -> None:
        self.set_font(FONT, size=16)
        self.cell(0, 10, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=9)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT, size=12)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=9)

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        """A two-column table of labels and values."""
        with self.table(col_widths=(30, 70), first_row_as_headings=False, line_height=5) as t:
            for key, value in rows:
                row = t.row()
                row.cell(key)
                row.cell(str(value))

    def rows(self, widths: tuple, head: list[str], body: list[list[str]]) -> None:
        with self.table(col_widths=widths, headings_style=HEADINGS, line_height=5) as t:
            t.row(head)
            for r in body:
                t.row([str(c) for c in r])

    def bytes(self) -> bytes:
        return bytes(self.output())
