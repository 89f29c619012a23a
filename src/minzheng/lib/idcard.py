"""18-digit resident identity numbers (GB 11643-1999): validate, parse, mask.

Layout: 6-digit region code of the place of first registration, 8-digit birth date
(YYYYMMDD), 3-digit sequence (odd for men, even for women), and an ISO 7064 MOD 11-2
check character (0–9 or X).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten, shown

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# GB/T 2260 provincial-level prefixes (including Hong Kong 81, Macao 82 and Taiwan 71).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 "
    "64 65 71 81 82".split()
)
EARLIEST_BIRTH = dt.date(1890, 1, 1)


class IdCardError(TranslatableError):
    """An identity number failed one precise check; `code` says which."""


@dataclass(frozen=True)
class IdCard:
    number: str
    region_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"

    def age_on(self, day: dt.date) -> int:
        """Age in full years on `day`."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse(raw: object, *, today: dt.date | None = None) -> IdCard:
    """Validate and parse an identity number; raise IdCardError naming the first problem.

    Full-width characters are read as their ASCII forms (NFKC) and surrounding spaces dropped.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise IdCardError("empty", gettext_noop("The ID number is empty."))
    if not isinstance(raw, str):
        raise IdCardError(
            "not_text", gettext_noop("The ID number must be text, not %(value)s."), value=shown(raw)
        )
    number = unicodedata.normalize("NFKC", raw).strip().upper()
    if len(number) != 18:
        raise IdCardError(
            "length",
            gettext_noop("The ID number %(value)s has %(n)s characters; it must have 18."),
            value=shorten(number),
            n=len(number),
        )
    if not (number[:17].isascii() and number[:17].isdigit()):
        raise IdCardError(
            "characters",
            gettext_noop("The first 17 characters of the ID number %(value)s must be digits."),
            value=shorten(number),
        )
    if number[17] not in "0123456789X":
        raise IdCardError(
            "check_character",
            gettext_noop("The last character of the ID number %(value)s must be a digit or X."),
            value=shorten(number),
        )
    region = number[:6]
    if region[:2] not in PROVINCE_PREFIXES or region[2:4] == "00" and region[4:] != "00":
        raise IdCardError(
            "region",
            gettext_noop(
                "The ID number %(value)s starts with %(region)s, which is no region code."
            ),
            value=number,
            region=region,
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdCardError(
            "birth_date",
            gettext_noop("The ID number %(value)s holds %(digits)s, which is no calendar date."),
            value=number,
            digits=number[6:14],
        ) from None
    today = today or dt.date.today()
    if birth > today:
        raise IdCardError(
            "birth_future",
            gettext_noop("The ID number %(value)s gives a birth date %(date)s in the future."),
            value=number,
            date=birth.isoformat(),
        )
    if birth < EARLIEST_BIRTH:
        raise IdCardError(
            "birth_too_early",
            gettext_noop("The ID number %(value)s gives a birth date %(date)s before 1890."),
            value=number,
            date=birth.isoformat(),
        )
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdCardError(
            "checksum",
            gettext_noop(
                "The ID number %(value)s fails its check: the last character should be "
                "%(expected)s. Please check for a mistyped digit."
            ),
            value=number,
            expected=expected,
        )
    sex = "M" if int(number[16]) % 2 else "F"
    return IdCard(number=number, region_code=region, birth_date=birth, sex=sex)


def is_valid(raw: object) -> bool:
    """True when `parse` accepts the number."""
    try:
        parse(raw)
    except IdCardError:
        return False
    return True


def make(region_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid number (for synthetic data): `sequence` 0–999, odd for men."""
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence {sequence} must be 0–999")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def mask(number: str) -> str:
    """Keep the region code and the last 2 characters: 330102**********1X."""
    number = (number or "").strip().upper()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 8) + number[-2:]
