"""Password rules beyond Django's own: a minimum number of character classes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    """How many of a–z, A–Z, 0–9 and other characters (symbols, CJK …) the password uses."""
    return sum(
        [
            any("a" <= c <= "z" for c in password),
            any("A" <= c <= "Z" for c in password),
            any("0" <= c <= "9" for c in password),
            any(not (c.isascii() and c.isalnum()) for c in password),
        ]
    )


class CharacterClassesValidator:
    """Require at least `min_classes` of: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        found = character_classes(password)
        if found < self.min_classes:
            raise ValidationError(
                _(
                    "The password uses %(found)s of the four character classes (lower case, "
                    "upper case, digits, symbols); at least %(min)s are required."
                ),
                code="password_too_few_classes",
                params={"found": found, "min": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _(
            "Your password must use at least %(min)s of: lower case, upper case, digits, symbols."
        ) % {"min": self.min_classes}
