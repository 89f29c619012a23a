"""Playwright driving Debian's Chromium (/usr/bin/chromium); never a downloaded browser."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("MINZHENG_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(transactional_db, monkeypatch):
    """A fresh Chromium page; the browser lives for one test only.

    Playwright's sync API keeps an event loop running in this thread while it is open, so
    Django's async guard is lifted for that time only, and the browser is closed before the
    database is flushed (fixtures tear down in reverse order).
    """
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; `make env` installs Debian's chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 800})
        yield context.new_page()
        # Connections opened while Playwright's loop runs belong to that context; close
        # them here, or one outlives the test and blocks dropping the PostgreSQL test DB.
        connections.close_all()
        context.close()
        browser.close()


# discovery's findings and signals written as discovery writes them (for the monitoring test)
from tests.cases.conftest import home  # noqa: E402, F401
from tests.discovery.conftest import evidence, place  # noqa: E402, F401
