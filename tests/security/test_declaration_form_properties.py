"""The declaration form under arbitrary input (Hypothesis): every answer is a redirect to
the report or a 400 naming what is wrong — never a server error (#10 item 4)."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minzheng.verification.models import Check
from minzheng.verification.views import DECLARED_FIELDS
from tests.verification.conftest import AS_OF, household_in
from tests.verification.test_web import consent_all

# What a person might type in a cell: digits of every script, huge and odd numbers, text.
CELLS = st.one_of(
    st.just(""),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["²", "³", "３", "١٢", "1e400", "1e999999", "NaN", "-0", "0x10", "1_000"]),
    st.text(max_size=30),
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["notadate", "2020-02-30", "0001-01-01", "9999-12-31", ""]),
    st.text(max_size=12),
)


@pytest.fixture
def declare_url(verify_settings, caseworker, lookup):
    home = household_in(lookup, "330102001")
    consent_all(caseworker, home, lookup)
    return f"/verification/households/{home}/declare/"


def test_the_declaration_form_never_answers_with_a_server_error(declare_url, caseworker):
    client = Client(raise_request_exception=False)
    client.force_login(caseworker)
    fields = [f"m{i}-{field}" for i in range(3) for _block, field in DECLARED_FIELDS]
    answers: set[int] = set()

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(date=DATES, cells=st.dictionaries(st.sampled_from(fields), CELLS, max_size=6))
    def post(date: str, cells: dict[str, str]) -> None:
        response = client.post(declare_url, {"date": date, **cells})
        answers.add(response.status_code)
        assert response.status_code in (302, 400, 404), (date, cells, response.status_code)

    post()
    assert 400 in answers  # the generator does reach the refusals


def test_a_plain_declaration_still_runs_the_check(declare_url, caseworker):
    client = Client()
    client.force_login(caseworker)
    response = client.post(declare_url, {"date": AS_OF.isoformat(), "m0-homes": "1"})
    assert response.status_code == 302
    assert Check.objects.count() == 1
