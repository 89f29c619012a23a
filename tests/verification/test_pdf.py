"""The printed report: what it ends with."""

from __future__ import annotations

import io

from pypdf import PdfReader

from minzheng.verification import services

from .conftest import AS_OF, household_in
from .test_web import consent_all


def pdf_pages(response) -> list[str]:
    reader = PdfReader(io.BytesIO(response.content))
    return [p.extract_text().replace(" ", "").replace("\n", "") for p in reader.pages]


def test_the_pdf_ends_with_the_signatures_and_the_seal(verify_settings, login, caseworker, lookup):
    home = household_in(lookup, "330102001")
    consent_all(caseworker, home, lookup)
    check = services.check_run(user=caseworker, request=None, household_id=home, date=AS_OF)
    pages = pdf_pages(login(caseworker).get(f"/verification/checks/{check.number}/pdf/"))
    whole = "".join(pages)
    last = pages[-1]
    for label in ("核对人（签字）：", "审核人（签字）：", "日期：", "单位（盖章）"):
        assert label in last
    assert whole.rindex("已查询的数据") < whole.index("核对人（签字）")
    assert last.index("核对人（签字）") < last.index("审核人（签字）") < last.index("日期：")
