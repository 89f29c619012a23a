"""Writes to the region hierarchy: the shipped divisions and sub-county files."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from minzheng.regions.levels import Level, level_of_code, parent_code_of
from minzheng.regions.models import Region

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISIONS_FILE = DATA_DIR / "zhejiang_divisions.csv"
DEMO_SUBCOUNTY_FILE = DATA_DIR / "demo_subcounty.csv"
_FIELDS = ("name", "level", "parent_id", "urban_rural", "lon", "lat")
_MAX_ERRORS_SHOWN = 50


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, field %(field)s = %(value)r: %(message)s") % {
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


class RegionFileError(Exception):
    """A region file failed validation; nothing was written."""

    def __init__(self, path: Path, errors: list[RowError]) -> None:
        self.path = path
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:_MAX_ERRORS_SHOWN])
        more = len(errors) - _MAX_ERRORS_SHOWN
        tail = ("\n  " + _("… and %(n)s more") % {"n": more}) if more > 0 else ""
        super().__init__(
            _("%(path)s: %(n)s error(s), nothing loaded:") % {"path": path, "n": len(errors)}
            + "\n"
            + shown
            + tail
        )


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def _label(level: Level) -> str:
    return str(Region.Levels(level.value).label)


def _float(raw: str, name: str, low: float, high: float, row: int, errors: list[RowError]):
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(RowError(row, name, raw, _("not a number")))
        return None
    if not low <= value <= high:
        errors.append(
            RowError(
                row,
                name,
                raw,
                _("must lie between %(low)s and %(high)s") % {"low": low, "high": high},
            )
        )
    return value


def _parse_rows(
    rows: list[dict[str, str]], *, allowed: set[Level], known_parents: set[str]
) -> tuple[list[Region], list[RowError]]:
    """Validate every row; return regions in parent-before-child order and all errors."""
    errors: list[RowError] = []
    regions: list[Region] = []
    first_row: dict[str, int] = {}
    in_file = {(row.get("code") or "").strip() for row in rows}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        try:
            level = level_of_code(code)
        except ValueError:
            errors.append(RowError(number, "code", code, _("not a valid region code")))
            continue
        if level not in allowed:
            errors.append(
                RowError(
                    number,
                    "code",
                    code,
                    _("a %(level)s code is not accepted in this file") % {"level": _label(level)},
                )
            )
            continue
        if code in first_row:
            errors.append(
                RowError(
                    number, "code", code, _("duplicate of row %(row)s") % {"row": first_row[code]}
                )
            )
            continue
        first_row[code] = number
        if not name:
            errors.append(RowError(number, "name", name, _("a name is required")))
        declared_level = (row.get("level") or "").strip()
        if declared_level and declared_level != level.value:
            errors.append(
                RowError(
                    number,
                    "level",
                    declared_level,
                    _("code %(code)s is a %(level)s code") % {"code": code, "level": _label(level)},
                )
            )
        parent = parent_code_of(code)
        declared_parent = (row.get("parent_code") or "").strip()
        if declared_parent and declared_parent != parent:
            errors.append(
                RowError(
                    number,
                    "parent_code",
                    declared_parent,
                    _(
                        "code %(code)s does not start with its parent's prefix; it belongs under %(parent)s"
                    )
                    % {"code": code, "parent": parent},
                )
            )
        elif parent is not None and parent not in known_parents and parent not in in_file:
            errors.append(
                RowError(
                    number,
                    "code",
                    code,
                    _("parent region %(parent)s does not exist") % {"parent": parent},
                )
            )
        urban_rural = (row.get("urban_rural") or "").strip()
        if urban_rural not in {"", "urban", "rural"}:
            errors.append(RowError(number, "urban_rural", urban_rural, _("must be urban or rural")))
        lon = _float((row.get("lon") or "").strip(), "lon", 73.0, 136.0, number, errors)
        lat = _float((row.get("lat") or "").strip(), "lat", 3.0, 54.0, number, errors)
        regions.append(
            Region(
                code=code,
                name=name,
                level=level.value,
                parent_id=parent,
                urban_rural=urban_rural,
                lon=lon,
                lat=lat,
            )
        )
    regions.sort(key=lambda r: (Level(r.level).depth, r.code))
    return regions, errors


def _upsert(regions: list[Region]) -> LoadReport:
    """Insert new regions and update changed ones; identical rows are left untouched."""
    report = LoadReport()
    existing: dict[str, tuple] = {}
    codes = [r.code for r in regions]
    for start in range(0, len(codes), 5000):
        for values in Region.objects.filter(code__in=codes[start : start + 5000]).values_list(
            "code", *_FIELDS
        ):
            existing[values[0]] = tuple(values[1:])
    changed = []
    for region in regions:
        report.by_level[region.level] = report.by_level.get(region.level, 0) + 1
        current = existing.get(region.code)
        if current is None:
            report.created += 1
            changed.append(region)
        elif current != tuple(getattr(region, f) for f in _FIELDS):
            report.updated += 1
            changed.append(region)
        else:
            report.unchanged += 1
    with transaction.atomic():
        for start in range(0, len(changed), 2000):
            Region.objects.bulk_create(
                changed[start : start + 2000],
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=list(_FIELDS),
            )
    return report


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"code", "name"} - set(reader.fieldnames or [])
            if missing:
                raise RegionFileError(
                    path,
                    [
                        RowError(
                            1,
                            "header",
                            ",".join(reader.fieldnames or []),
                            _("missing column(s): %(cols)s") % {"cols": ", ".join(sorted(missing))},
                        )
                    ],
                )
            return list(reader)
    except UnicodeDecodeError as exc:
        raise RegionFileError(
            path, [RowError(0, "encoding", "", _("not UTF-8 text (%(e)s)") % {"e": exc})]
        ) from None


def regions_load_divisions(path: Path = DIVISIONS_FILE) -> LoadReport:
    """Load the shipped province, city and county divisions (idempotent)."""
    rows = _read_csv(path)
    regions, errors = _parse_rows(
        rows, allowed={Level.PROVINCE, Level.CITY, Level.COUNTY}, known_parents=set()
    )
    if errors:
        raise RegionFileError(path, errors)
    return _upsert(regions)


def regions_load_file(*, path: Path) -> LoadReport:
    """Validate a township/village file completely, then load it in one transaction."""
    rows = _read_csv(path)
    regions, errors = _parse_rows(
        rows, allowed={Level.TOWNSHIP, Level.VILLAGE}, known_parents=_existing_parents(rows)
    )
    if errors:
        raise RegionFileError(path, errors)
    return _upsert(regions)


def _existing_parents(rows: list[dict[str, str]]) -> set[str]:
    """The codes, among those the rows name as parents, that exist in the database."""
    wanted = set()
    for row in rows:
        try:
            parent = parent_code_of((row.get("code") or "").strip())
        except ValueError:
            continue
        if parent:
            wanted.add(parent)
    ordered = sorted(wanted)
    found: set[str] = set()
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        found.update(Region.objects.filter(code__in=chunk).values_list("code", flat=True))
    return found
