"""Response headers of issue #10: the Content-Security-Policy, nosniff, referrer, HSTS."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

import minzheng
from tests.conf.test_env import _manage

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


@pytest.mark.parametrize("url", ["/login/", "/", "/admin/login/", "/no-such-page/"])
def test_every_page_carries_the_content_security_policy(client, db, url):
    response = client.get(url)
    assert _directives(response["Content-Security-Policy"]) == POLICY


def test_the_policy_allows_no_inline_script(client, db):
    script_src = _directives(client.get("/login/")["Content-Security-Policy"])["script-src"]
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src


def test_no_template_has_an_inline_script_or_handler():
    """An inline <script> or on…= handler would be blocked by the policy (and break)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    templates = Path(minzheng.__file__).parent.rglob("templates/**/*.html")
    offenders = [str(t) for t in templates if inline.search(t.read_text())]
    assert offenders == []


def test_nosniff_and_the_referrer_policy_are_sent(client, db):
    response = client.get("/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_hsts_without_https_mode(client, db):
    assert "Strict-Transport-Security" not in client.get("/login/", secure=True)


def test_https_mode_sends_hsts(tmp_path):
    code = (
        "from django.test import Client; "
        "r = Client().get('/login/', secure=True); "
        "print(r.status_code, r['Strict-Transport-Security'])"
    )
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        MINZHENG_HTTPS="true",
        MINZHENG_ALLOWED_HOSTS="testserver",
        MINZHENG_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "max-age=31536000;", "includeSubDomains;", "preload"]


def test_the_household_box_opens_its_consents_without_script(login, caseworker):
    client = login(caseworker)
    url = reverse("verification:consents_open")
    response = client.get(url, {"household_id": " H3301020010001 "})
    assert response.status_code == 302
    assert response["Location"] == reverse("verification:consents", args=["H3301020010001"])


@pytest.mark.parametrize("typed", ["", "a/b"])
def test_an_unusable_household_number_goes_back_to_the_start(login, caseworker, typed):
    response = login(caseworker).get(reverse("verification:consents_open"), {"household_id": typed})
    assert response.status_code == 302 and response["Location"] == reverse("verification:start")


def test_the_household_box_requires_login(client, db):
    response = client.get(reverse("verification:consents_open"), {"household_id": "H1"})
    assert response.status_code == 302 and reverse("web:login") in response["Location"]
