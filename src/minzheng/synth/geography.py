"""Counties with populations, and synthetic townships and villages below them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from minzheng.lib.divisions import divisions
from minzheng.synth.calibration import Calibration

# Approximate city centres (longitude, latitude); counties and townships are placed around
# them. No boundaries ship with the seed data, so "inside the county" is approximate.
CITY_CENTRES = {
    "330100": (120.16, 30.27),
    "330200": (121.55, 29.87),
    "330300": (120.70, 28.00),
    "330400": (120.76, 30.75),
    "330500": (120.09, 30.89),
    "330600": (120.58, 30.03),
    "330700": (119.65, 29.08),
    "330800": (118.87, 28.94),
    "330900": (122.21, 29.99),
    "331000": (121.42, 28.66),
    "331100": (119.92, 28.45),
}
_SYLLABLES = list(
    "清望新东西南北长安和兴华溪湖山江桥塘岭湾石竹梅桂柳松金银玉明光明丰泰康宁平福寿仁德"
    "文武龙凤云霞春秋阳月星河海浦港沙田园林花青白翠碧红黄紫锦秀嘉善富永昌盛隆泉源"
)


def county_kind(name: str) -> str:
    """district (区), city (county-level 市) or county (县)."""
    if name.endswith("区"):
        return "district"
    if name.endswith("市"):
        return "city"
    return "county"


@dataclass
class County:
    code: str
    name: str
    city: str
    kind: str
    population_full: int  # at scale 1.0
    ordinal: int = 0  # position among the province's counties, 0–89
    urban_share: float = 0.0
    townships: list[dict] = field(default_factory=list)
    villages: list[dict] = field(default_factory=list)

    @property
    def index(self) -> int:
        return int(self.code)


def largest_remainder(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split an integer total in proportion to weights, exactly, each part ≥ minimum."""
    weights = np.asarray(weights, dtype=float)
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError(f"cannot give {minimum} to each of {len(weights)} parts of {total}")
    shares = weights / weights.sum() * rest
    floor = np.floor(shares).astype(np.int64)
    remainder = rest - floor.sum()
    order = np.argsort(-(shares - floor), kind="stable")
    floor[order[:remainder]] += 1
    return base + floor


def load_counties(calibration: Calibration) -> list[County]:
    """The 90 real counties with populations split from the census city totals."""
    rows = [d for d in divisions().values() if d.level == "county"]
    weights_by_kind = calibration.county_weights
    counties: list[County] = []
    for city, total in sorted(calibration.city_population.items()):
        members = [r for r in rows if r.parent_code == city]
        kinds = [county_kind(r.name) for r in members]
        parts = largest_remainder(total, np.array([weights_by_kind[k] for k in kinds]))
        counties.extend(
            County(r.code, r.name, city, k, int(p))
            for r, k, p in zip(members, kinds, parts, strict=True)
        )
    for ordinal, county in enumerate(counties):
        county.ordinal = ordinal
    shares = calibration.assumption("urban_share_by_county_kind")
    raw = np.array([shares[c.kind] for c in counties])
    pops = np.array([c.population_full for c in counties], dtype=float)
    target = calibration.target("urban_share").value
    factor = target * pops.sum() / (raw * pops).sum()
    for county, share in zip(counties, np.clip(raw * factor, 0.05, 0.98), strict=True):
        county.urban_share = float(share)
    return counties


def _names(rng: np.random.Generator, n: int, suffixes: list[str], taken: set[str]) -> list[str]:
    names = []
    for i in range(n):
        for _ in range(50):
            a, b = rng.choice(len(_SYLLABLES), 2, replace=False)
            name = _SYLLABLES[a] + _SYLLABLES[b] + suffixes[i]
            if name not in taken:
                break
        else:
            name = f"{_SYLLABLES[i % len(_SYLLABLES)]}{i}{suffixes[i]}"
        taken.add(name)
        names.append(name)
    return names


def build_subcounty(counties: list[County], calibration: Calibration, seed: int) -> None:
    """Give every county townships (9-digit codes) and villages (12-digit codes).

    Counts follow population (about 1,360 townships and 20,000 villages province-wide, at every
    scale: the geography does not shrink with the sample). Codes follow GB/T 10114 ranges:
    streets 001–099, towns 100–199; communities 001–199, villages 200–399.
    """
    pops = np.array([c.population_full for c in counties], dtype=float)
    n_town = largest_remainder(calibration.assumption("townships_total"), pops, minimum=3)
    n_vill = largest_remainder(calibration.assumption("villages_total"), pops, minimum=10)
    for county, towns, villages in zip(counties, n_town, n_vill, strict=True):
        rng = np.random.default_rng([seed, county.index, 1])
        n_streets = int(np.clip(round(towns * county.urban_share), 1, min(towns - 1, 99)))
        n_towns = int(towns) - n_streets
        lon0, lat0 = CITY_CENTRES[county.city]
        clon = lon0 + (zlib.crc32(county.code.encode()) % 1000 / 1000 - 0.5) * 0.8
        clat = lat0 + (zlib.crc32(county.code[::-1].encode()) % 1000 / 1000 - 0.5) * 0.6
        kinds = ["urban"] * n_streets + ["rural"] * n_towns
        codes = [f"{county.code}{i + 1:03d}" for i in range(n_streets)] + [
            f"{county.code}{100 + i:03d}" for i in range(n_towns)
        ]
        taken: set[str] = set()
        names = _names(rng, len(codes), ["街道" if k == "urban" else "镇" for k in kinds], taken)
        county.townships = [
            {
                "code": code,
                "name": name,
                "parent_code": county.code,
                "level": "township",
                "urban_rural": kind,
                "lon": round(clon + rng.uniform(-0.15, 0.15), 5),
                "lat": round(clat + rng.uniform(-0.12, 0.12), 5),
            }
            for code, name, kind in zip(codes, names, kinds, strict=True)
        ]
        # Villages per township: at least one each, the rest spread at random.
        per_town = 1 + rng.multinomial(
            int(villages) - len(codes), np.full(len(codes), 1 / len(codes))
        )
        county.villages = []
        for town, count in zip(county.townships, per_town, strict=True):
            urban = town["urban_rural"] == "urban"
            # Streets hold communities; towns mostly villages with a few communities.
            n_comm = count if urban else max(0, int(round(count * 0.15)))
            vkinds = ["urban"] * n_comm + ["rural"] * (count - n_comm)
            vcodes = [f"{town['code']}{i + 1:03d}" for i in range(n_comm)] + [
                f"{town['code']}{200 + i:03d}" for i in range(count - n_comm)
            ]
            vnames = _names(rng, count, ["社区" if k == "urban" else "村" for k in vkinds], taken)
            county.villages.extend(
                {
                    "code": code,
                    "name": name,
                    "parent_code": town["code"],
                    "level": "village",
                    "urban_rural": kind,
                    "lon": round(town["lon"] + rng.uniform(-0.03, 0.03), 5),
                    "lat": round(town["lat"] + rng.uniform(-0.03, 0.03), 5),
                }
                for code, name, kind in zip(vcodes, vnames, vkinds, strict=True)
            )
