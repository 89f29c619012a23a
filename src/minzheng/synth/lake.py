"""Writing the lake: one Parquet dataset per table, Hive-partitioned by county, atomically."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from minzheng import __version__
from minzheng.exchange.feeds import FEEDS
from minzheng.synth.calibration import load_calibration
from minzheng.synth.geography import County, build_subcounty, largest_remainder, load_counties
from minzheng.synth.population import Quotas, generate_county

MARKER = "_lake.json"
FORMAT = "minzheng-lake"
MIN_SCALE, MAX_SCALE = 0.0001, 2.0


class SynthError(Exception):
    """A clear, user-facing problem with the request (scale, folder, permissions)."""


@dataclass(frozen=True)
class Job:
    county: County
    quotas: Quotas
    seed: int
    snapshot: dt.date
    tmp: Path


def is_lake(path: Path) -> bool:
    """A folder with a lake manifest."""
    marker = path / MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError):
        return False


def read_manifest(path: Path) -> dict:
    """The manifest of a lake, or SynthError when the folder is not one."""
    if not is_lake(path):
        raise SynthError(f"{path} is not a minzheng lake (no {MARKER})")
    return json.loads((path / MARKER).read_text(encoding="utf-8"))


def check_scale(scale: float) -> None:
    if not (MIN_SCALE <= scale <= MAX_SCALE) or scale != scale:
        raise SynthError(
            f"--scale {scale}: must lie between {MIN_SCALE} (about 6,500 people) and "
            f"{MAX_SCALE} (twice the province); 1.0 is the whole province"
        )


def _prepare_output(out: Path, force: bool) -> Path:
    """Refuse unsafe outputs; return the temporary folder to build in."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise SynthError(f"--out {out}: exists and is a file, not a folder")
    if out.exists() and any(out.iterdir()) and not is_lake(out) and not force:
        raise SynthError(
            f"--out {out}: the folder exists, is not empty and is not a lake; "
            "choose another folder or pass --force to replace it"
        )
    parent = out.parent
    for stale in parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted run
    tmp = parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise SynthError(f"--out {out}: cannot write there ({exc.strerror})") from None
    return tmp


def _county_job(job: Job) -> tuple[str, int, dict[str, int]]:
    calibration = load_calibration()
    tables, truth = generate_county(job.county, job.quotas, calibration, job.seed, job.snapshot)
    counts = {}
    for folder, group in ((job.tmp, tables), (job.tmp / "truth", truth)):
        for name, table in group.items():
            target = folder / name / f"county={job.county.code}"
            target.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, target / "part-0.parquet", compression="zstd")
            if folder == job.tmp:
                counts[name] = table.num_rows
    return job.county.code, job.quotas.persons, counts


def plan(scale: float, seed: int) -> tuple[list[County], list[Quotas]]:
    """Counties with their sub-county geography and exact per-county quotas."""
    check_scale(scale)
    calibration = load_calibration()
    counties = load_counties(calibration)
    build_subcounty(counties, calibration, seed)
    pops = np.array([c.population_full for c in counties], dtype=float)

    def split(total: float) -> np.ndarray:
        return largest_remainder(int(round(total * scale)), pops)

    persons = split(calibration.raw["population"]["province_total"]["value"])
    institutions = split(calibration.target("eldercare_institutions").value)
    orgs = split(calibration.target("social_organisations").value)
    children = split(calibration.target("children_protected").value)
    # Beds and carers follow the institutions (a county without one has none); their totals
    # come from the targets and the expected number of people aged 60 and over.
    older = persons.sum() * calibration.target("share_age_60_plus").value
    inst_w = institutions.astype(float) + 1e-12

    def by_institution(total: float) -> np.ndarray:
        return largest_remainder(int(round(total)), inst_w)

    beds = by_institution(calibration.target("beds_per_1000_older").value * older / 1000)
    dementia = by_institution(calibration.assumption("dementia_beds_per_10k_older") * older / 1e4)
    carers = by_institution(calibration.assumption("certified_carers_per_10k_older") * older / 1e4)
    consortia = by_institution(calibration.target("care_consortia").expected(scale))
    quotas = [
        Quotas(*map(int, row))
        for row in zip(
            persons, institutions, beds, dementia, carers, orgs, children, consortia, strict=True
        )
    ]
    return counties, quotas


def build_lake(
    *,
    scale: float,
    seed: int,
    out: Path,
    force: bool = False,
    workers: int = 2,
    snapshot: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Generate the lake into a temporary folder and move it into place when complete."""
    check_scale(scale)
    if workers < 1:
        raise SynthError(f"--workers {workers}: must be at least 1")
    calibration = load_calibration()
    snapshot = snapshot or calibration.snapshot_date
    counties, quotas = plan(scale, seed)
    tmp = _prepare_output(out, force)
    try:
        _write_regions(tmp, counties)
        jobs = [Job(c, q, seed, snapshot, tmp) for c, q in zip(counties, quotas, strict=True)]
        jobs.sort(key=lambda j: -j.quotas.persons)  # largest first: better balance
        total = sum(q.persons for q in quotas)
        rows: dict[str, int] = {}
        done = 0
        for _code, persons, counts in _run(jobs, workers):
            for name, count in counts.items():
                rows[name] = rows.get(name, 0) + count
            done += persons
            if progress:
                progress(done, total)
        manifest = {
            "format": FORMAT,
            "version": 1,
            "generator": f"minzheng.synth {__version__}",
            "scale": scale,
            "seed": seed,
            "snapshot_date": snapshot.isoformat(),
            "persons": total,
            "counties": len(counties),
            "partitioning": "hive: county=<6-digit county code>",
            "tables": {
                name: {"rows": rows.get(name, 0), "department": feed.department}
                for name, feed in sorted(FEEDS.items())
            },
            "truth": "truth/ holds the planted ground truth; the platform never reads it",
        }
        (tmp / MARKER).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        final = out.resolve()
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
        return manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _run(jobs: list[Job], workers: int):
    """County results as they finish: in this process for one worker, else in a pool."""
    if workers == 1:
        yield from map(_county_job, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for future in as_completed([pool.submit(_county_job, job) for job in jobs]):
            yield future.result()


def _write_regions(tmp: Path, counties: list[County]) -> None:
    """The township/village file in the format `minzheng regions load` accepts."""
    folder = tmp / "regions"
    folder.mkdir()
    fields = ["code", "name", "parent_code", "level", "urban_rural", "lon", "lat"]
    with (folder / "subcounty.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for county in counties:
            writer.writerows(county.townships)
            writer.writerows(county.villages)
