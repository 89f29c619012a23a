"""Marking text for translation without importing Django, and showing users' values in it.

Framework-free code raises errors whose messages are English msgids with %-style
parameters. `gettext_noop` only marks them so that `makemessages` collects them; the
Django layer shows them translated with `translated(err)`. A parameter that is itself a
phrase (what a field expects) is a `Msg`, translated with the message around it; a value
the user sent goes through `shown`, so that a message never echoes 5000 digits back.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from itertools import islice
from typing import Any

SHOWN_CHARS = 40


def gettext_noop(message: str) -> str:
    """Return the message unchanged; `makemessages` picks it up by this name."""
    return message


def _translate(template: str, params: dict[str, Any]) -> str:
    from django.utils.translation import gettext

    return gettext(template) % {
        k: v.translated() if isinstance(v, Msg | TranslatableError) else v
        for k, v in params.items()
    }


class Label:
    """A label with a translation context, translated when shown (framework-free code
    declares it with `pgettext_lazy`; `str()` gives it in the active language once Django is
    set up, the English msgid before)."""

    __slots__ = ("context", "message")

    def __init__(self, context: str, message: str) -> None:
        self.context = context
        self.message = message

    def __str__(self) -> str:
        try:
            from django.conf import settings

            if settings.configured:
                from django.utils.translation import pgettext

                return pgettext(self.context, self.message)
        except ImportError:
            pass
        return self.message

    def __repr__(self) -> str:
        return f"Label({self.context!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Label) and (self.context, self.message) == (
            other.context,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.context, self.message))


def pgettext_lazy(context: str, message: str) -> Label:
    """Django's `pgettext_lazy` without importing Django: `makemessages` collects it by this
    name (msgid with its context), and the label is translated when shown."""
    return Label(context, message)


class Msg:
    """A phrase with its own msgid, used as a parameter of a message (translated with it)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return self.template % self.params

    def __repr__(self) -> str:
        return f"Msg({self.template!r})"

    def translated(self) -> str:
        """The phrase in the active language (needs Django's translation machinery)."""
        return _translate(self.template, self.params)


class TranslatableError(ValueError):
    """An error with a stable code, an English msgid template and its parameters (a parameter
    may be another such error, the cause, or a `Msg`, which are translated with it)."""

    def __init__(self, code: str, template: str, **params: Any) -> None:
        self.code = code
        self.template = template
        self.params = params
        super().__init__(template % params)

    def translated(self) -> str:
        """The message in the active language (needs Django's translation machinery)."""
        return _translate(self.template, self.params)


class RequestError(TranslatableError):
    """A request refused with an HTTP status (400 unless it says): the web layer shows it."""

    def __init__(self, code: str, template: str, status: int = 400, **params: Any) -> None:
        super().__init__(code, template, **params)
        self.status = status


def shorten(text: str) -> str:
    """Text for a message: at most SHOWN_CHARS characters (then "…"), lone surrogates escaped
    so that the page showing it can always be encoded."""
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shown(value: object) -> str:
    """Any value for a message, JSON-like and short: huge numbers as ≈10^n, nesting cut off."""
    return shorten(_shown(value, depth=0))


def _shown(value: object, depth: int) -> str:
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, int):
        # str() of a huge int is slow, and refused beyond 4300 digits.
        if abs(value) < 10**SHOWN_CHARS:
            return str(value)
        return f"{'-' if value < 0 else ''}≈10^{math.log10(abs(value)):.0f}"
    if isinstance(value, str):
        return json.dumps(value[: SHOWN_CHARS + 1], ensure_ascii=False)
    if isinstance(value, Decimal | dt.date):
        return str(value)[: SHOWN_CHARS + 1]
    if isinstance(value, dict):
        if depth >= 2 and value:
            return "{…}"
        items = [
            f"{_shown(k, depth + 1)}: {_shown(v, depth + 1)}" for k, v in islice(value.items(), 3)
        ]
        return "{" + ", ".join(items) + (", …}" if len(value) > 3 else "}")
    if isinstance(value, list | tuple):
        if depth >= 2 and value:
            return "[…]"
        items = [_shown(v, depth + 1) for v in islice(value, 3)]
        return "[" + ", ".join(items) + (", …]" if len(value) > 3 else "]")
    return f"<{type(value).__name__}>"
