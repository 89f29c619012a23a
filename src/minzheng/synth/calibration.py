"""The calibration file: targets with sources, and the generator's assumptions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CALIBRATION_FILE = Path(__file__).with_name("calibration.yaml")


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    scaled: bool
    tolerance: float | None
    tolerance_relative: float | None
    source: str
    unit: str = ""

    def expected(self, scale: float) -> float:
        """The value to reach at this scale (counts scale, rates do not)."""
        return self.value * scale if self.scaled else self.value

    def allowed(self, scale: float) -> float:
        """The largest accepted distance from the expected value."""
        if self.tolerance is not None:
            return self.tolerance
        return abs(self.expected(scale)) * (self.tolerance_relative or 0.0)


@dataclass(frozen=True)
class Calibration:
    raw: dict[str, Any]

    @property
    def snapshot_date(self) -> dt.date:
        return self.raw["snapshot_date"]

    @property
    def city_population(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.raw["population"]["cities"]["values"].items()}

    @property
    def county_weights(self) -> dict[str, float]:
        return self.raw["population"]["county_weights"]["values"]

    @staticmethod
    def dibao_standard(date: dt.date, county: str) -> float:
        """The monthly 低保 standard in force, from the policy engine's own parameter."""
        from minzheng.policy.parameters import load_parameters

        return float(load_parameters()["dibao.standard_monthly"].resolve(date, county).value)

    def assumption(self, name: str) -> Any:
        return self.raw["assumptions"][name]["value"]

    def targets(self) -> list[Target]:
        return [
            Target(
                name=name,
                value=float(spec["value"]),
                scaled=bool(spec.get("scaled", False)),
                tolerance=spec.get("tolerance"),
                tolerance_relative=spec.get("tolerance_relative"),
                source=spec["source"],
                unit=spec.get("unit", ""),
            )
            for name, spec in self.raw["targets"].items()
        ]

    def target(self, name: str) -> Target:
        return next(t for t in self.targets() if t.name == name)


@cache
def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    """Parse the calibration file once."""
    with path.open(encoding="utf-8") as handle:
        return Calibration(yaml.safe_load(handle))
