"""The `minzheng` command: thin wrappers that parse options and call one service each."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import typer

app = typer.Typer(
    help="minzheng civil-affairs platform: set-up, data loading and operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
regions_app = typer.Typer(help="Administrative regions.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
synth_app = typer.Typer(
    help="The synthetic province: `minzheng synth --scale S --seed N --out DIR`, "
    "`minzheng synth report DIR`.",
    invoke_without_command=True,
)
app.add_typer(synth_app, name="synth")
app.add_typer(regions_app, name="regions")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
verify_app = typer.Typer(
    help="Household economic-status checks: `minzheng verify --households FILE --date D "
    "--officer USER --out DIR`, `minzheng verify index LAKE`.",
    invoke_without_command=True,
)
app.add_typer(verify_app, name="verify")

# The demo users mirror the test personas; one shared, policy-compliant demo password.
DEMO_PASSWORD = "Zj@demo2026"
DEMO_USERS = [
    ("caseworker", "caseworker", "330102001", "经办员"),
    ("approver", "approver", "330102", "审核员"),
    ("outsider", "caseworker", "330106001", "经办员"),
    ("analyst", "analyst", "330000", "分析员"),
    ("steward", "data_steward", "330000", "数据管理员"),
    ("admin", "administrator", "330000", "系统管理员"),
]


def _django() -> None:
    """Configure Django once, on first use, so that `--help` stays fast."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
    import django

    django.setup()


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


@app.command()
def init(
    demo_users: bool = typer.Option(True, help="Create the demo users."),
    subcounty: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="A township/village file to load (default with demo users: a few demo townships).",
    ),
) -> None:
    """Migrate the database, load the regions and create the demo users."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    typer.echo("✓ database migrated")
    from minzheng.regions.services import DEMO_SUBCOUNTY_FILE, regions_load_divisions

    report = regions_load_divisions()
    typer.echo(
        f"✓ divisions: {report.created} new, {report.updated} changed, {report.unchanged} unchanged"
    )
    files = [subcounty] if subcounty else []
    if demo_users and subcounty is None:
        files.append(DEMO_SUBCOUNTY_FILE)
    for path in files:
        _load_subcounty(path)
    if demo_users:
        _create_demo_users()


def _load_subcounty(path: Path) -> None:
    from minzheng.regions.services import RegionFileError, regions_load_file

    try:
        report = regions_load_file(path=path)
    except RegionFileError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"✓ {path.name}: {report.created} new, {report.updated} changed, "
        f"{report.unchanged} unchanged ({', '.join(f'{k} {v}' for k, v in sorted(report.by_level.items()))})"
    )


def _create_demo_users() -> None:
    from minzheng.accounts.models import User
    from minzheng.accounts.services import user_create, user_set_password
    from minzheng.regions.models import Region

    typer.echo("✓ demo users (password for all: " + DEMO_PASSWORD + "):")
    for username, role, code, title in DEMO_USERS:
        region = Region.objects.get(code=code)
        full_name = f"{region.name}{title}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                region=region,
                full_name=full_name,
            )
        else:
            user_set_password(user=user, password=DEMO_PASSWORD)
        typer.echo(f"    {username:<11} {role:<14} {user.region}  {full_name}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(2, help="Worker processes."),
) -> None:
    """Serve the web app and API with gunicorn (static files included)."""
    args = [
        "gunicorn",
        "minzheng.wsgi:application",
        f"--bind={host}:{port}",
        f"--workers={workers}",
        "--threads=4",
        "--access-logfile=-",
    ]
    typer.echo(f"minzheng serving on http://{host}:{port}/")
    os.execvp(sys.executable, [sys.executable, "-m", *args])


@regions_app.command("load")
def regions_load(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Validate and load a township/village CSV (code,name[,parent_code,level,urban_rural,lon,lat])."""
    _django()
    _load_subcounty(path)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; name the first broken row."""
    _django()
    from minzheng.audit.selectors import audit_verify as verify

    report = verify()
    if not report.ok:
        raise _fail(f"✗ audit chain broken after {report.checked} good rows: {report.problem}")
    typer.echo(f"✓ audit chain intact: {report.checked} rows")


@users_app.command("create")
def users_create(
    username: str = typer.Option(...),
    role: str = typer.Option(
        ..., help="caseworker, approver, analyst, data_steward, administrator"
    ),
    region: str = typer.Option(..., help="Region code of the user's scope."),
    full_name: str = typer.Option(""),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a user with a role and a region scope."""
    _django()
    from django.core.exceptions import ValidationError

    from minzheng.accounts.services import user_create
    from minzheng.regions.models import Region

    scope = Region.objects.filter(code=region).first()
    if scope is None:
        raise _fail(f"unknown region code {region!r}")
    try:
        user = user_create(
            username=username, password=password, role=role, region=scope, full_name=full_name
        )
    except ValidationError as exc:
        raise _fail("; ".join(exc.messages)) from None
    except ValueError:
        raise _fail(f"unknown role {role!r}") from None
    typer.echo(f"✓ created {user.username} ({user.role}, {user.region})")


def _ljust(text: str, width: int) -> str:
    """Pad to `width` terminal columns: a Chinese character takes two."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)


class _ProgressBar:
    """A rich progress bar that appears with the first progress report (not before errors)."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar = None

    def __enter__(self) -> _ProgressBar:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            self.task = self.bar.add_task(self.description, total=total)
            self.bar.start()
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __exit__(self, *exc) -> None:
        self.stop()


@synth_app.callback()
def synth(
    ctx: typer.Context,
    scale: float | None = typer.Option(None, help="1.0 is the whole province (64.6M people)."),
    seed: int = typer.Option(1, help="The same scale and seed give the same lake, byte for byte."),
    out: Path | None = typer.Option(None, help="The lake folder to write."),
    force: bool = typer.Option(False, help="Replace an existing folder that is not a lake."),
    workers: int = typer.Option(2, help="Worker processes (one county each at a time)."),
) -> None:
    """Generate a synthetic province as a Parquet lake, county by county."""
    if ctx.invoked_subcommand is not None:
        return
    if scale is None or out is None:
        raise _fail("minzheng synth needs --scale and --out (see --help)")
    from minzheng.synth.lake import SynthError, build_lake

    with _ProgressBar("generating persons") as bar:
        try:
            manifest = build_lake(
                scale=scale, seed=seed, out=out, force=force, workers=workers, progress=bar
            )
        except SynthError as exc:
            bar.stop()
            raise _fail(str(exc)) from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    typer.echo(
        f"✓ lake at {out}: {manifest['persons']:,} persons, {rows:,} rows in "
        f"{len(manifest['tables'])} tables; regions file {out / 'regions' / 'subcounty.csv'}"
    )


@synth_app.command("report")
def synth_report(
    lake: Path = typer.Argument(..., help="A lake written by minzheng synth."),
    markdown: bool = typer.Option(False, help="Print a Markdown table (for docs)."),
) -> None:
    """Target vs achieved for every calibration target; exit 1 when one fails."""
    from minzheng.synth.lake import SynthError
    from minzheng.synth.report import calibration_report, render

    try:
        manifest, rows = calibration_report(lake)
    except SynthError as exc:
        raise _fail(str(exc)) from None
    typer.echo(render(manifest, rows, markdown=markdown), nl=False)
    if not all(r.ok for r in rows):
        raise typer.Exit(code=1)


def _date_option(value: str, option: str = "--date") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} {value!r}: expected a date YYYY-MM-DD") from None


def _engine(params: list[str], reform: Path | None = None, programmes: list[str] | None = None):
    """The engine (optionally some programmes only) with a reform file and --param applied."""
    from minzheng.policy.engine import Engine, default_programmes
    from minzheng.policy.parameters import load_parameters
    from minzheng.policy.reforms import load_reform, parse_assignments

    parameters = load_parameters()
    if reform is not None:
        parameters = load_reform(reform).apply(parameters)
    if params:
        parameters = parse_assignments(params).apply(parameters)
    chosen = default_programmes()
    if programmes:
        known = {p.name for p in chosen}
        unknown = sorted(set(programmes) - known)
        if unknown:
            raise _fail(f"--programme {unknown[0]!r}: one of {', '.join(sorted(known))}")
        chosen = [p for p in chosen if p.name in {"common", *programmes}]
    return Engine(chosen, parameters)


@app.command()
def explain(
    input: Path = typer.Option(
        ..., "--input", exists=True, dir_okay=False, help="A household file (v1, JSON)."
    ),
    date: str = typer.Option(..., help="Evaluation date, YYYY-MM-DD."),
    param: list[str] = typer.Option(
        [], "--param", help="NAME=VALUE or NAME@REGION=VALUE (a reform)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the Chinese tree."),
) -> None:
    """Explain one household: results, every intermediate value, rules and parameters."""
    import json

    from minzheng.policy.errors import PolicyError
    from minzheng.policy.explain import Explainer, render_tree
    from minzheng.policy.household import load_household_file

    when = _date_option(date)
    try:
        household, members = load_household_file(input)
        explanation = Explainer(_engine(param)).explain(household, members, when)
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(explanation, ensure_ascii=False, indent=2))
    else:
        typer.echo(render_tree(explanation), nl=False)


@app.command()
def screen(
    lake: Path = typer.Option(..., exists=True, file_okay=False, help="A lake (minzheng synth)."),
    date: str = typer.Option(..., help="Evaluation date, YYYY-MM-DD."),
    out: Path = typer.Option(..., help="Folder for the per-household results (Parquet)."),
    reform: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="A reform file (YAML)."
    ),
    param: list[str] = typer.Option([], "--param", help="NAME=VALUE or NAME@REGION=VALUE."),
    backend: str = typer.Option("duckdb", help="duckdb (default) or pyspark."),
    chunk_persons: int = typer.Option(
        3_000_000, min=1, help="Residents per chunk of counties (memory grows with it)."
    ),
    programme: list[str] = typer.Option(
        [], "--programme", help="Screen only these programmes (default: the whole catalogue)."
    ),
) -> None:
    """Screen every household of a lake and summarise by city."""
    from minzheng.policy.backends import connect
    from minzheng.policy.errors import PolicyError
    from minzheng.policy.screen import screen as run_screen

    when = _date_option(date)
    try:
        engine = _engine(param, reform, programme)
        con = connect(backend)
        with _ProgressBar("screening persons") as bar:
            rows = run_screen(
                engine,
                con,
                lake,
                when,
                out,
                progress=lambda i, n, _c: bar(i, n),
                max_persons=chunk_persons,
            )
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    from minzheng.lib.divisions import labelled

    typer.echo(
        f"{'city':<16}{'households':>12}{'dibao hh':>10}{'persons':>10}{'dibao cost':>15}"
        f"{'dibian hh':>10}{'tekun hh':>9}{'all monthly':>15}{'one-off':>14}{'medical ref':>12}"
    )
    for r in rows:
        typer.echo(
            f"{_ljust(labelled(r['city']), 16)}{r['households']:>12,}{r['dibao_households']:>10,}"
            f"{r['dibao_persons']:>10,}{r['dibao_monthly_cost']:>15,.2f}"
            f"{r.get('dibian_households', 0):>10,}{r.get('tekun_households', 0):>9,}"
            f"{r.get('monthly_total') or 0:>15,.2f}{r.get('one_off_total') or 0:>14,.2f}"
            f"{r.get('medical_referrals') or 0:>12,}"
        )
    typer.echo(f"✓ results in {out}")


@verify_app.callback()
def verify(
    ctx: typer.Context,
    households: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Hukou numbers, one per line (or a CSV column)."
    ),
    date: str | None = typer.Option(None, help="Check as of this date, YYYY-MM-DD."),
    officer: str | None = typer.Option(None, help="The checking officer (a user name): scope."),
    out: Path | None = typer.Option(None, help="Folder for results.parquet and summary.json."),
    lake: Path | None = typer.Option(
        None, help="The lake (default: MINZHENG_LAKE, with its lookup index)."
    ),
) -> None:
    """Check many households at once (a periodic review) and summarise the flagged ones."""
    if ctx.invoked_subcommand is not None:
        return
    if households is None or date is None or officer is None or out is None:
        raise _fail("minzheng verify needs --households, --date, --officer and --out (see --help)")
    when = _date_option(date)
    _django()
    from django.conf import settings

    from minzheng.accounts.models import User
    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.errors import PolicyError
    from minzheng.verification.batch import FLAGS, read_households
    from minzheng.verification.services import batch_check

    user = User.objects.filter(username=officer, is_active=True).first()
    if user is None or user.region is None:
        raise _fail(f"--officer {officer!r}: no active user with a region of that name")
    try:
        ids = read_households(households)
        with _ProgressBar("reading feeds") as bar:
            summary = batch_check(
                officer=user,
                lake_path=lake or settings.VERIFY_LAKE,
                household_ids=ids,
                date=when,
                out=out,
                progress=bar,
            )
    except (TranslatableError, PolicyError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"households {summary['households']:,}  checked {summary['checked']:,}  "
        f"flagged {summary['flagged']:,}"
    )
    for reason, n in summary["refused"].items():
        typer.echo(f"  refused ({reason}): {n:,}")
    for flag, n in summary["flags"].items():
        typer.echo(f"  {flag:<26}{n:>10,}   {FLAGS[flag]}")
    if summary["stale_feeds"]:
        typer.echo(f"  stale feeds: {', '.join(summary['stale_feeds'])}")
    typer.echo(f"✓ results in {out}")


@verify_app.command("index")
def verify_index(
    lake: Path = typer.Argument(..., exists=True, file_okay=False, help="A lake (minzheng synth)."),
) -> None:
    """Build the lookup index beside the lake's Parquet (needed by checks)."""
    import time

    from minzheng.policy.errors import PolicyError
    from minzheng.verification.lookup import build_index

    start = time.perf_counter()
    try:
        path = build_index(lake)
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"✓ index {path} ({time.perf_counter() - start:.1f} s)")


@app.command()
def catalogue() -> None:
    """Print every rule and parameter with label, unit and reference (Markdown)."""
    from minzheng.policy.catalogue import render_catalogue
    from minzheng.policy.engine import Engine

    typer.echo(render_catalogue(Engine()), nl=False)


def main() -> None:
    """Entry point of the console script."""
    app()
