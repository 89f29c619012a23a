"""Marking text for translation without importing Django.

Framework-free code raises errors whose messages are English msgids with %-style
parameters. `gettext_noop` only marks them so that `makemessages` collects them; the
Django layer shows them translated with `translated(err)`.
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Return the message unchanged; `makemessages` picks it up by this name."""
    return message


class TranslatableError(ValueError):
    """An error with a stable code, an English msgid template and its parameters (a parameter
    may be another such error, the cause, which is translated with it)."""

    def __init__(self, code: str, template: str, **params: Any) -> None:
        self.code = code
        self.template = template
        self.params = params
        super().__init__(template % params)

    def translated(self) -> str:
        """The message in the active language (needs Django's translation machinery)."""
        from django.utils.translation import gettext

        params = {
            k: v.translated() if isinstance(v, TranslatableError) else v
            for k, v in self.params.items()
        }
        return gettext(self.template) % params
