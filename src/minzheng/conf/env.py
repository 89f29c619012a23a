"""Typed readers for environment variables that fail loudly on bad values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    """Reads settings from a mapping (os.environ by default), naming the variable on error."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _fail(self, name: str, value: str, problem: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{name}={value!r}: {problem}")

    def str(self, name: str, default: str) -> str:
        """Return the variable as text, or the default when unset."""
        return self.environ.get(name, default)

    def bool(self, name: str, default: bool) -> bool:
        """Return true for 1/true/yes/on and false for 0/false/no/off/empty."""
        if name not in self.environ:
            return default
        value = self.environ[name]
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
        raise self._fail(name, value, "expected one of 1/0, true/false, yes/no, on/off")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        """Return the variable as an integer, at least `minimum` when given."""
        if name not in self.environ:
            return default
        value = self.environ[name]
        try:
            number = int(value.strip())
        except ValueError:
            raise self._fail(name, value, "expected a whole number") from None
        if minimum is not None and number < minimum:
            raise self._fail(name, value, f"must be at least {minimum}")
        return number

    def decimal(self, name: str, default: str, *, minimum: str = "0") -> Decimal:
        """Return the variable as an exact decimal, at least `minimum`."""
        value = self.environ.get(name, default)
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise self._fail(name, value, "expected a decimal number such as 0.05") from None
        if not number.is_finite() or number < Decimal(minimum):
            raise self._fail(name, value, f"must be a number of at least {minimum}")
        return number

    def list(self, name: str, default: list[str]) -> list[str]:
        """Return a comma-separated list, without blanks."""
        if name not in self.environ:
            return default
        return [item.strip() for item in self.environ[name].split(",") if item.strip()]

    def database(self, name: str, default: Mapping[str, Any]) -> dict[str, Any]:
        """Parse a database URL (postgres:// or sqlite:///), or return the default config."""
        value = self.environ.get(name, "").strip()
        if not value:
            return dict(default)
        shown = _hide_password(value)
        scheme = urlsplit(value).scheme
        if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
            raise self._fail(
                name, shown, f"unsupported scheme {scheme!r}; use postgres://… or sqlite:///…"
            )
        try:
            config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise self._fail(name, shown, f"malformed URL ({exc})") from None
        if scheme != "sqlite" and not config.get("NAME"):
            raise self._fail(name, shown, "no database name after the host (…/dbname)")
        return dict(config)


def _hide_password(url: str) -> str:
    """Replace the password of a URL by *** so that it never reaches a log."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparseable URL>"
