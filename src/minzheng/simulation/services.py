"""Simulation runs started from the web page: checked and stored, run by a worker process of
their own (`minzheng simulate-worker NUMBER`) that reports its progress and a sign of life
in the database, so the page can show it after a reload; a run whose worker stopped without
a word (a restart, a crash) is marked failed, never left "running"."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import tempfile
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from minzheng.audit.services import audit_record
from minzheng.lib.i18n import RequestError, TranslatableError, gettext_noop, shorten
from minzheng.simulation.models import SimulationRun

log = logging.getLogger(__name__)
Status = SimulationRun.Status
ALIVE_SECONDS = 120  # a worker that has not reported for this long is gone
HEARTBEAT_SECONDS = 10
MAX_SCENARIO_BYTES = 20_000


class SimulationRequestError(RequestError):
    """A run that cannot be started: the message names the field."""


def _scenarios(engine, files: list[tuple[str, str]], folder: Path):
    from minzheng.simulation.scenarios import load_scenario

    loaded = []
    for name, text in files:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        loaded.append(load_scenario(path, engine.parameters, set(engine.rules)))
    return loaded


def validate(
    *, name: str, as_of: dt.date, files: list[tuple[str, str]], ideal: str, budget: str
) -> tuple[Decimal | None, str]:
    """Check a run before it is stored: the scenario files (with file and line), the ideal
    population and the budget. Returns (the budget, the ideal population)."""
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.simulation import analysis, runner

    if not name.strip():
        raise SimulationRequestError(
            "missing_name", gettext_noop("Give the run a name."), field="name"
        )
    for file_name, text in files:
        if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
            raise SimulationRequestError(
                "scenario_too_large",
                gettext_noop("%(file)s is larger than %(most)s bytes."),
                field="scenarios",
                file=file_name,
                most=MAX_SCENARIO_BYTES,
            )
    amount = None
    if budget.strip():
        try:
            amount = Decimal(budget.replace(",", "").strip())
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise SimulationRequestError(
                "bad_budget",
                gettext_noop("The budget %(value)s is not an amount of 0 yuan or more."),
                field="budget",
                value=shorten(budget),
            ) from None
    engine = Engine()
    with tempfile.TemporaryDirectory(prefix="minzheng-scenarios-") as folder:
        loaded = _scenarios(engine, files, Path(folder))
    runner.check(engine, loaded, "dibao", amount)
    if ideal.strip():
        analysis.ideal_expression(ideal.strip(), analysis.probe(connect("duckdb")))
    return amount, ideal.strip()


def start(
    user: Any,
    request: Any,
    *,
    name: str,
    as_of: dt.date,
    files: list[tuple[str, str]],
    ideal: str = "",
    budget: str = "",
    spawn: bool = True,
) -> SimulationRun:
    """Store a checked run (queued) and start its worker."""
    amount, ideal = validate(name=name, as_of=as_of, files=files, ideal=ideal, budget=budget)
    region = getattr(getattr(user, "region", None), "code", "") or "330000"
    with transaction.atomic():
        run = SimulationRun.objects.create(
            number=f"FZ{timezone.now():%Y%m%d%H%M%S%f}"[:24],
            name=name.strip()[:100],
            region_code=region,
            created_by=user,
            as_of=as_of,
            scenarios=[{"name": n, "text": t} for n, t in files],
            ideal=ideal,
            budget=amount,
        )
        audit_record(
            actor=user,
            request=request,
            action="simulation_start",
            object_type="simulation_run",
            object_id=run.number,
            region_code=region,
            detail={"as_of": as_of.isoformat(), "scenarios": [n for n, _t in files]},
        )
    if spawn and settings.SIMULATION_SPAWN:
        _spawn(run)
    return run


def _spawn(run: SimulationRun) -> None:
    """The worker, in a process of its own that outlives the request (and the page). A
    worker that cannot be started (no room for its log, no process) fails the run, with
    the reason, at once."""
    log_path = Path(settings.VAR_DIR) / "simulation" / f"{run.number}.log"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as out:
            subprocess.Popen(  # noqa: S603 — our own command, no shell
                [sys.executable, "-m", "minzheng", "simulate-worker", run.number],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=os.environ.copy(),
            )
    except OSError as exc:
        run.status, run.finished_at = Status.FAILED, timezone.now()
        run.message = gettext("the run could not be started: %(error)s") % {
            "error": exc.strerror or exc
        }
        run.save(update_fields=["status", "finished_at", "message"])


def reap(now: dt.datetime | None = None) -> int:
    """Mark failed the runs whose worker has not been heard of for ALIVE_SECONDS (a restart,
    a crash): they are never left "running"."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=ALIVE_SECONDS)
    stale = SimulationRun.objects.filter(status__in=[Status.QUEUED, Status.RUNNING])
    stale = stale.filter(heartbeat_at__lt=limit) | stale.filter(
        heartbeat_at__isnull=True, created_at__lt=limit
    )
    return stale.update(
        status=Status.FAILED,
        finished_at=now,
        message=gettext("interrupted: the run stopped without finishing (a restart?)"),
    )


def _lake() -> Path:
    from minzheng.exchange.services import current_lake

    return current_lake()


def work(number: str) -> SimulationRun:
    """Run a stored run (the worker): progress and a sign of life every few seconds, then the
    results or the reason it failed."""
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.lake import lake_manifest
    from minzheng.simulation import runner

    run = SimulationRun.objects.get(number=number)
    if run.status != Status.QUEUED:
        return run
    now = timezone.now()
    SimulationRun.objects.filter(pk=run.pk).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    )
    stop = threading.Event()

    def beat() -> None:
        """A sign of life between progress reports (a chunk can take minutes)."""
        from django.db import DatabaseError, connection

        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    SimulationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
                except DatabaseError:  # busy: the next beat will do
                    log.warning("simulation run %s: heartbeat not written", number)
        finally:
            connection.close()  # this thread's own connection

    def progress(done: int, total: int, _county: str) -> None:
        SimulationRun.objects.filter(pk=run.pk).update(
            done=done, total=total, heartbeat_at=timezone.now()
        )

    heart = threading.Thread(target=beat, daemon=True)
    heart.start()
    try:
        engine = Engine()
        lake = _lake()
        with tempfile.TemporaryDirectory(prefix="minzheng-scenarios-") as folder:
            files = [(s["name"], s["text"]) for s in run.scenarios]
            loaded = _scenarios(engine, files, Path(folder))
            result = runner.execute(
                engine,
                connect("duckdb"),
                lake,
                run.as_of,
                loaded,
                source=lake_manifest(lake),
                ideal=run.ideal or None,
                budget=run.budget,
                progress=progress,
            )
        import json

        from django.core.serializers.json import DjangoJSONEncoder

        stored = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
        SimulationRun.objects.filter(pk=run.pk).update(
            status=Status.DONE, results=stored, finished_at=timezone.now(), message=""
        )
    except TranslatableError as exc:
        SimulationRun.objects.filter(pk=run.pk).update(
            status=Status.FAILED, finished_at=timezone.now(), message=exc.translated()
        )
    except Exception:
        log.exception("simulation run %s failed", number)
        SimulationRun.objects.filter(pk=run.pk).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            message=gettext("failed: an internal error (see the server's log)"),
        )
    finally:
        stop.set()
        heart.join()
    run.refresh_from_db()
    return run
