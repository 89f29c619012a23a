"""The shipped administrative divisions (province, cities, counties): codes and Chinese names.

Read from `minzheng/regions/data/zhejiang_divisions.csv` without Django, so that the
framework-free libraries (`policy`, `synth`) and the command line can name a region.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class Division:
    """One division of the shipped file (GB/T 2260 code)."""

    code: str
    name: str
    parent_code: str  # empty for the province
    level: str  # one of LEVELS


@cache
def divisions() -> dict[str, Division]:
    """Every shipped division by code, in the file's order."""
    path = resources.files("minzheng.regions") / "data" / "zhejiang_divisions.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [Division(**row) for row in csv.DictReader(handle)]
    return {row.code: row for row in rows}


def codes(level: str) -> list[str]:
    """The codes of one level (`county`: the 90 county-level divisions), in the file's order."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    return [d.code for d in divisions().values() if d.level == level]


def name_of(code: str) -> str:
    """The Chinese name of a division (`杭州市`), or the code itself when it is not shipped."""
    division = divisions().get(code)
    return division.name if division else code


def labelled(code: str) -> str:
    """A division as a reader names it, then its code: `杭州市 330100` (the code alone if
    unknown)."""
    division = divisions().get(code)
    return f"{division.name} {code}" if division else code
