"""The five administrative levels and how their codes nest (framework-free)."""

from __future__ import annotations

import enum


class Level(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"

    @property
    def depth(self) -> int:
        """0 for the province down to 4 for a village."""
        return list(Level).index(self)

    @property
    def prefix_length(self) -> int:
        """How many leading digits of a code are shared by every region in its subtree."""
        return {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}[self.value]

    @property
    def code_length(self) -> int:
        """The length of this level's codes: 6 (GB/T 2260), 9 or 12."""
        return {"township": 9, "village": 12}.get(self.value, 6)

    @property
    def child(self) -> Level | None:
        """The level directly below, or None for a village."""
        levels = list(Level)
        return levels[self.depth + 1] if self.depth + 1 < len(levels) else None

    @property
    def parent(self) -> Level | None:
        """The level directly above, or None for the province."""
        return list(Level)[self.depth - 1] if self.depth else None


def level_of_code(code: str) -> Level:
    """Infer the level from the code's shape: 9 digits township, 12 village, 6 by its zeros."""
    if not (code.isascii() and code.isdigit()):
        raise ValueError(f"region code {code!r} must be digits only")
    if len(code) == 12:
        return Level.VILLAGE
    if len(code) == 9:
        return Level.TOWNSHIP
    if len(code) != 6:
        raise ValueError(f"region code {code!r} must have 6, 9 or 12 digits")
    if code[2:] == "0000":
        return Level.PROVINCE
    if code[4:] == "00":
        return Level.CITY
    return Level.COUNTY


def parent_code_of(code: str) -> str | None:
    """The code of the parent implied by the code itself (None for a province)."""
    level = level_of_code(code)
    parent = level.parent
    if parent is None:
        return None
    stem = code[: parent.prefix_length]
    return stem.ljust(6, "0") if parent.code_length == 6 else stem


def code_at(code: str, level: Level | str) -> str:
    """The code of the region of `level` that a (deeper) region code lies in: 33010200100 … →
    330000, 330100, 330102, 330102001 or the village itself."""
    n = Level(level).prefix_length
    return code[:n].ljust(6, "0")
