"""The `minzheng` command: thin wrappers that parse options and call one service each."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # commands import what they use, so that `explain` and `--help` start fast
    from minzheng.policy.explain import Explainer

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
feed_app = typer.Typer(
    help="Department feeds: their declaration and deliveries.", no_args_is_help=True
)
app.add_typer(feed_app, name="feed")
snapshot_app = typer.Typer(help="Snapshots of the current deliveries.", no_args_is_help=True)
app.add_typer(snapshot_app, name="snapshot")
cases_app = typer.Typer(help="Assistance cases (救助“一件事”).", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
discover_app = typer.Typer(
    help="Proactive discovery (主动发现): who the rules find but the register does not.",
    no_args_is_help=True,
)
app.add_typer(discover_app, name="discover")
payments_app = typer.Typer(
    help="Monthly payments (发放) and the bank's return.", no_args_is_help=True
)
app.add_typer(payments_app, name="payments")
eldercare_app = typer.Typer(help="Elder care (浙里养).", no_args_is_help=True)
app.add_typer(eldercare_app, name="eldercare")

# The demo users mirror the test personas; one shared, policy-compliant demo password.
DEMO_PASSWORD = "Zj@demo2026"
DEMO_USERS = [
    ("caseworker", "caseworker", "330102001", "经办员"),
    ("caseworker_dq", "caseworker", "330102100", "经办员"),  # a rural town: 低保 households
    ("approver", "approver", "330102", "审核员"),
    ("outsider", "caseworker", "330106001", "经办员"),
    ("analyst", "analyst", "330000", "分析员"),
    ("steward", "data_steward", "330000", "数据管理员"),
    ("admin", "administrator", "330000", "系统管理员"),
    ("assessor", "assessor", "330102", "评估员"),  # two: an assessment takes two assessors
    ("assessor2", "assessor", "330102", "评估员"),
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
        # Longer than a browser's idle connection: gunicorn's 2 s default closes connections
        # that a client is about to reuse, and the request sent on one is reset (the load
        # test of #12 saw it; docs/benchmarks.md).
        "--keep-alive=75",
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


def _rjust(text: str, width: int) -> str:
    """Pad on the left to `width` terminal columns: a Chinese character takes two."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return " " * max(width - used, 0) + text


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
        ...,
        "--input",
        exists=True,
        help="A household file (v1, JSON); or many households: a JSON Lines file (*.jsonl, "
        "one household per line) or a folder of *.json and *.jsonl files.",
    ),
    date: str = typer.Option(..., help="Evaluation date, YYYY-MM-DD."),
    param: list[str] = typer.Option(
        [], "--param", help="NAME=VALUE or NAME@REGION=VALUE (a reform)."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print JSON instead of the Chinese tree (JSON Lines for many households).",
    ),
) -> None:
    """Explain households: results, every intermediate value, rules and parameters."""
    import json

    from minzheng.policy.errors import PolicyError
    from minzheng.policy.explain import Explainer, render_tree
    from minzheng.policy.household import is_batch, load_household_file

    when = _date_option(date)
    try:
        explainer = Explainer(_engine(param))
        if is_batch(input):
            failed, total = _explain_batch(explainer, input, when, as_json)
        else:
            household, members = load_household_file(input)
            explanation = explainer.explain(household, members, when)
            if as_json:
                typer.echo(json.dumps(explanation, ensure_ascii=False, indent=2))
            else:
                typer.echo(render_tree(explanation), nl=False)
            return
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    if failed:
        raise _fail(f"✗ {failed:,} of {total:,} households could not be explained")
    typer.echo(f"✓ {total:,} household{'s' if total != 1 else ''} explained", err=True)


def _explain_batch(
    explainer: Explainer, path: Path, when: dt.date, as_json: bool
) -> tuple[int, int]:
    """Explain every household of a folder or a JSON Lines file as it is read: (failed,
    total). In JSON, one line per household, errors included; as trees, errors on stderr."""
    import json

    from minzheng.policy.explain import explain_households, render_tree

    failed = total = 0
    for record in explain_households(explainer, path, when):
        total += 1
        failed += "error" in record
        where = record["file"] + ("" if record["line"] is None else f":{record['line']}")
        if as_json:
            typer.echo(json.dumps(record, ensure_ascii=False))
        elif "error" in record:
            message = record["error"]["message"]
            # a message about the file names it (and the line) already
            shown = message if record["file"] in message else f"{where}: {message}"
            typer.secho(f"✗ {shown}", fg="red", err=True)
        else:
            typer.echo(f"=== {where} · {record['household_id']} ===")
            typer.echo(render_tree(record))
    return failed, total


@app.command()
def screen(
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: a snapshot)."
    ),
    snapshot: str | None = typer.Option(
        None, help="A snapshot's name (default: the snapshot in use)."
    ),
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
    if lake is None:
        lake = _snapshot_path(snapshot)
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

    from minzheng.accounts.models import User
    from minzheng.exchange.services import current_lake
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
                lake_path=lake or current_lake(),
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


def _snapshot_path(name: str | None) -> Path:
    """A snapshot of the exchange store by name, or the one in use."""
    _django()
    from django.conf import settings

    from minzheng.exchange.snapshot import resolve
    from minzheng.lib.i18n import TranslatableError

    try:
        return resolve(settings.EXCHANGE_DIR, name)
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None


def _steward(username: str):
    from minzheng.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _fail(f"--user {username!r}: no active user of that name")
    return user


@feed_app.command("load")
def feed_load(
    feed: str = typer.Argument(..., help="The feed (see `minzheng feed docs`)."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, .xlsx or Parquet."),
    as_of: str = typer.Option(..., "--as-of", help="The date the delivery describes."),
    user: str = typer.Option(..., help="The data steward loading it (a user name)."),
    mapping: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="The department's header mapping (YAML)."
    ),
    encoding: str | None = typer.Option(None, help="The CSV's encoding (default: detected)."),
    county: str | None = typer.Option(None, help="The county, when the file has no column."),
    backfill: bool = typer.Option(False, help="Allow an as-of date older than the last."),
    corrects: int | None = typer.Option(None, help="The delivery whose quarantine this fixes."),
) -> None:
    """Load one department file: every row accepted or quarantined with its reasons."""
    _django()
    from minzheng.exchange.services import load_delivery
    from minzheng.lib.i18n import TranslatableError

    when = _date_option(as_of, "--as-of")
    try:
        delivery, new = load_delivery(
            user=_steward(user),
            path=file,
            feed=feed,
            as_of=when,
            mapping=mapping,
            encoding=encoding,
            county=county,
            backfill=backfill,
            corrects=corrects,
        )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    if not new:
        typer.echo(
            f"= {file.name} was already loaded as delivery {delivery.pk} "
            f"({delivery.loaded_at:%Y-%m-%d %H:%M}): nothing changed"
        )
        return
    typer.echo(
        f"✓ delivery {delivery.pk}: {delivery.feed} as of {delivery.as_of}, "
        f"{delivery.rows:,} rows = {delivery.accepted:,} accepted + "
        f"{delivery.quarantined:,} quarantined"
    )
    for code, n in sorted(delivery.reasons.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {code:<22}{n:>10,}")
    if delivery.resolves:
        typer.echo(f"  corrects {len(delivery.resolves):,} lines of delivery {corrects}")


@feed_app.command("load-lake")
def feed_load_lake(
    lake: Path = typer.Argument(..., exists=True, file_okay=False, help="A lake (minzheng synth)."),
    user: str = typer.Option(..., help="The data steward loading it (a user name)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Default: the lake's snapshot date."),
) -> None:
    """Load every declared feed of a lake (such as the synthetic province) as deliveries,
    through the same validation as a department's file."""
    _django()
    import json

    from minzheng.exchange.feeds import FEEDS
    from minzheng.exchange.services import load_delivery
    from minzheng.lib.i18n import TranslatableError

    manifest_path = lake / "_lake.json"
    if not manifest_path.is_file():
        raise _fail(f"{lake}: not a lake (no _lake.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    when = _date_option(as_of or manifest["snapshot_date"], "--as-of")
    steward = _steward(user)
    import pyarrow.dataset as ds

    names = [name for name in FEEDS if (lake / name).is_dir()]
    with _ProgressBar("loading feeds") as bar:
        for i, name in enumerate(names, start=1):
            if ds.dataset(lake / name, format="parquet").count_rows() == 0:
                typer.echo(f"  {name}: no rows, nothing to load", err=True)
                continue
            try:
                delivery, new = load_delivery(
                    user=steward, path=lake / name, feed=name, as_of=when, backfill=True
                )
            except TranslatableError as exc:
                raise _fail(f"{name}: {exc.translated()}") from None
            bar(i, len(names))
            if delivery.quarantined:
                typer.echo(f"  {name}: {delivery.quarantined:,} rows quarantined", err=True)
    typer.echo(f"✓ {len(names)} feeds loaded from {lake}")


@feed_app.command("deliveries")
def feed_deliveries(feed: str | None = typer.Option(None, help="Only this feed.")) -> None:
    """List deliveries, newest first: file, as-of date, rows accepted and quarantined."""
    _django()
    from minzheng.exchange.models import Delivery

    rows = Delivery.objects.all()
    if feed:
        rows = rows.filter(feed=feed)
    typer.echo(
        f"{'id':>5}  {'feed':<20}{'as of':<12}{'rows':>10}{'accepted':>10}{'quar.':>8}  file"
    )
    for d in rows[:200]:
        typer.echo(
            f"{d.pk:>5}  {d.feed:<20}{d.as_of!s:<12}{d.rows:>10,}{d.accepted:>10,}"
            f"{d.quarantined:>8,}  {d.file_name}"
        )


@feed_app.command("quarantine")
def feed_quarantine(
    delivery: int = typer.Argument(..., help="The delivery's number."),
    user: str = typer.Option(..., help="The data steward (a user name)."),
    out: Path | None = typer.Option(
        None, help="Write the rows to correct as CSV (then load it with --corrects)."
    ),
) -> None:
    """The quarantined rows no correction has fixed yet: line and reasons (values masked),
    or all their values in a CSV to correct (audited)."""
    _django()
    from minzheng.exchange.models import Delivery
    from minzheng.exchange.services import export_quarantine, masked_reasons, outstanding

    found = Delivery.objects.filter(pk=delivery).first()
    if found is None:
        raise _fail(f"delivery {delivery}: no such delivery")
    from minzheng.accounts import roles
    from minzheng.accounts.permissions import require
    from minzheng.lib.i18n import TranslatableError

    steward = _steward(user)
    try:
        if out is not None:
            n = export_quarantine(steward, found, out)
            typer.echo(f"✓ {n:,} rows to correct in {out}")
            return
        require(steward, roles.VIEW_DELIVERY, object_type="delivery", object_id=str(delivery))
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    for row in outstanding(found):
        reasons = masked_reasons(found.feed, row["reasons"])
        text = "; ".join(f"{r['column'] or '—'} {r['code']} ({r['value']})" for r in reasons)
        typer.echo(f"line {row['line']}: {text}")


@snapshot_app.command("build")
def snapshot_build(
    as_of: str = typer.Option(..., "--as-of", help="The date the snapshot describes."),
    user: str = typer.Option(..., help="The data steward building it (a user name)."),
) -> None:
    """Build a snapshot of the deliveries current at the date (feeds, lookup index, engine
    inputs) and make it the one in use."""
    _django()
    from minzheng.exchange.services import build_snapshot
    from minzheng.lib.i18n import TranslatableError

    when = _date_option(as_of, "--as-of")
    try:
        with _ProgressBar("building the snapshot") as bar:
            record = build_snapshot(
                user=_steward(user), as_of=when, progress=lambda i, n, _f: bar(i, n)
            )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    total = sum(record.rows.values())
    typer.echo(f"✓ snapshot {record.name} as of {record.as_of}: {total:,} rows, now in use")
    if record.missing:
        typer.echo(f"  feeds without a delivery: {', '.join(record.missing)}")


@snapshot_app.command("list")
def snapshot_list() -> None:
    """Snapshots, newest first: name, as-of date, rows, and which one is in use."""
    _django()
    from django.conf import settings

    from minzheng.exchange.models import Snapshot
    from minzheng.exchange.snapshot import current

    in_use = current(settings.EXCHANGE_DIR)
    for s in Snapshot.objects.all()[:100]:
        mark = "*" if in_use is not None and in_use.name == s.name else " "
        state = " (deleted)" if s.pruned else ""
        typer.echo(f"{mark} {s.name}  as of {s.as_of}  {sum(s.rows.values()):>12,} rows{state}")


@cases_app.command("demo")
def cases_demo(
    caseworker: str = typer.Option("caseworker", help="The township caseworker (a user name)."),
    approver: str = typer.Option("approver", help="The county's approver (a user name)."),
    per_state: int = typer.Option(2, min=1, max=50, help="Cases to leave in each state."),
) -> None:
    """Demo cases in every state, taken through the real steps over the past weeks."""
    _django()
    from minzheng.accounts.models import User
    from minzheng.cases.demo import load_demo_cases
    from minzheng.lib.i18n import TranslatableError

    users = {}
    for option, name in (("--caseworker", caseworker), ("--approver", approver)):
        users[option] = User.objects.filter(username=name, is_active=True).first()
        if users[option] is None:
            raise _fail(f"{option} {name}: no such active user")
    try:
        with _ProgressBar("demo cases") as bar:
            counts = load_demo_cases(
                users["--caseworker"], users["--approver"], per_state=per_state, progress=bar
            )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    from minzheng.cases.workflow import STATES

    summary = ", ".join(f"{STATES[s]} {n}" for s, n in counts.items())
    typer.echo(f"✓ {sum(counts.values())} demo cases: {summary}")


@cases_app.command("reviews")
def cases_reviews(
    user: str = typer.Option(..., "--user", help="The township caseworker who opens them."),
    as_of: str = typer.Option(..., "--as-of", help="Open the reviews due by this date."),
) -> None:
    """Open the periodic reviews due (动态管理复核) in the user's scope, each with a fresh check."""
    _django()
    from minzheng.cases.reviews import reviews_open
    from minzheng.lib.i18n import TranslatableError

    try:
        opened = reviews_open(
            user=_steward(user), request=None, as_of=_date_option(as_of, "--as-of")
        )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    typer.echo(f"✓ {len(opened)} review case(s) opened")
    for case in opened:
        typer.echo(f"  {case.number}  {case.household_id}  {case.state}")


@payments_app.command("run")
def payments_run(
    month: str = typer.Option(..., "--month", help="The month paid, as 2026-11."),
    user: str = typer.Option(..., "--user", help="Who pays (an approver of the county)."),
    county: list[str] = typer.Option(
        [],
        "--county",
        help="A county code; repeat it, or leave it out for every county of the user's scope.",
    ),
) -> None:
    """Run the month's payments of one or more counties (a second run adds only what is
    missing)."""
    _django()
    from minzheng.cases import payments
    from minzheng.lib.i18n import TranslatableError
    from minzheng.regions.levels import Level
    from minzheng.regions.models import Region

    payer = _steward(user)
    counties = county or list(
        Region.objects.for_user(payer)
        .filter(level=Level.COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )
    runs = []
    with _ProgressBar("payment runs") as bar:
        for i, code in enumerate(counties):
            try:
                runs.append(
                    payments.payment_run(user=payer, request=None, county=code, month=month)
                )
            except TranslatableError as exc:
                raise _fail(f"{code}: {exc.translated()}") from None
            bar(i + 1, len(counties))
    for run in runs:
        totals = payments.totals(run)
        typer.echo(
            f"✓ {run.number}  {totals['count']:>8,} lines  {totals['sum']:>16,} yuan"
            f"  (added {run.notes.get('last_added', 0):,})"
        )


@payments_app.command("returns")
def payments_returns(
    run: str = typer.Argument(..., help="The run number (FF…)."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="The bank's return CSV."),
    user: str = typer.Option(..., "--user", help="Who pays (an approver of the county)."),
) -> None:
    """Apply the bank's return file to a run (whole, or nothing when a line is wrong)."""
    _django()
    from minzheng.cases import payments
    from minzheng.lib.i18n import TranslatableError

    try:
        done = payments.payment_returns(
            user=_steward(user), request=None, number=run, data=path.read_bytes()
        )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    typer.echo(f"✓ {done['lines']} line(s): {done['paid']} paid, {done['failed']} failed")


@discover_app.command("screen")
def discover_screen(
    date: str = typer.Option(..., help="The as-of date, YYYY-MM-DD (never the clock)."),
    out: Path = typer.Option(..., help="Folder for the findings (Parquet)."),
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
    backend: str = typer.Option("duckdb", help="duckdb (default) or pyspark."),
    chunk_persons: int = typer.Option(3_000_000, min=1, help="Residents per chunk of counties."),
    with_cases: bool = typer.Option(
        False,
        "--with-cases",
        help="Count the case module's enrolments as enrolled, and find their amounts changed.",
    ),
) -> None:
    """Compare the rules' results with the enrolment register: eligible but not enrolled,
    enrolled but no longer eligible, per programme (and amounts changed, with --with-cases)."""
    from minzheng.discovery import screening
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.errors import PolicyError

    when = _date_option(date)
    if lake is None or with_cases:
        _django()
    if lake is None:
        lake = _snapshot_path(None)
    enrolled, threshold = None, (0.1, 10.0)
    if with_cases:
        from minzheng.discovery.services import amount_threshold, case_enrolments

        enrolled, threshold = case_enrolments(when), amount_threshold(when)
    try:
        with _ProgressBar("screening persons") as bar:
            counts = screening.run(
                Engine(),
                connect(backend),
                lake,
                when,
                out,
                progress=lambda i, n, _c: bar(i, n),
                max_persons=chunk_persons,
                enrolled=enrolled,
                threshold=threshold,
            )
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"{'programme':<20}{'eligible, not enrolled':>24}{'enrolled, not eligible':>24}"
        f"{'amount changed':>16}"
    )
    for programme, kinds in counts.items():
        typer.echo(
            f"{programme:<20}{kinds.get(screening.ELIGIBLE_NOT_ENROLLED, 0):>24,}"
            f"{kinds.get(screening.ENROLLED_INELIGIBLE, 0):>24,}"
            f"{kinds.get(screening.AMOUNT_CHANGED, 0):>16,}"
        )
    typer.echo(f"✓ findings in {out}")


@discover_app.command("signals")
def discover_signals(
    date: str = typer.Option(..., help="The as-of date, YYYY-MM-DD (never the clock)."),
    out: Path = typer.Option(..., help="Folder for the signals (Parquet)."),
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
    rules: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="A signal rule file (default: the platform's)."
    ),
    backend: str = typer.Option("duckdb", help="duckdb (default) or pyspark."),
) -> None:
    """Evaluate the warning signals (动态预警) over the lake; say which could not be."""
    from minzheng.discovery import signals
    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.backends import connect

    when = _date_option(date)
    if lake is None:
        _django()
        lake = _snapshot_path(None)
    try:
        rule_set = signals.load_signals(rules or signals.RULES)
        result = signals.run(connect(backend), lake, when, out, rule_set)
    except TranslatableError as exc:
        raise _fail(str(exc)) from None
    for s in rule_set.signals:
        why = result["not_evaluated"].get(s.name)
        shown = f"not evaluated ({why})" if why else f"{result['counts'][s.name]:,}"
        typer.echo(f"{s.name:<26}{s.label:<24}{shown}")
    typer.echo(f"✓ signals in {out}")


@discover_app.command("mpi")
def discover_mpi(
    date: str = typer.Option(..., help="The as-of date, YYYY-MM-DD (never the clock)."),
    level: str = typer.Option("city", help="province, city, county, township or village."),
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
    backend: str = typer.Option("duckdb", help="duckdb (default) or pyspark."),
) -> None:
    """The multidimensional poverty measure (多维贫困, Alkire–Foster) of every region of a
    level: H, A, M0 and each dimension's contribution."""
    from minzheng.discovery import poverty
    from minzheng.lib.divisions import labelled
    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.lake import lake_manifest

    if level not in poverty.LEVELS:
        raise _fail(f"--level {level}: one of {', '.join(poverty.LEVELS)}")
    when = _date_option(date)
    if lake is None:
        _django()
        lake = _snapshot_path(None)
    try:
        lake_manifest(lake)  # a lake, or a clear refusal
        counties = sorted(
            p.name.split("=", 1)[1] for p in (lake / "hukou_households").glob("county=*")
        )
        results = poverty.compute(Engine(), connect(backend), lake, when, counties, (level,))
    except TranslatableError as exc:
        raise _fail(str(exc)) from None
    names = [i.name for i in poverty.measure().indicators]
    typer.echo(
        f"{'region':<20}{'households':>11}{'H':>8}{'A':>8}{'M0':>8}  "
        + " ".join(f"{n[:8]:>8}" for n in names)
    )
    for r in results[level]:
        shares = " ".join(f"{r['indicators'][n]['contribution']:>8.1%}" for n in names)
        typer.echo(
            f"{_ljust(labelled(r['code']), 20)}{r['n']:>11,}{r['H']:>8.4f}{r['A']:>8.4f}"
            f"{r['M0']:>8.4f}  {shares}"
        )


@discover_app.command("run")
def discover_run(
    date: str = typer.Option(..., help="The as-of date, YYYY-MM-DD (never the clock)."),
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
    out: Path | None = typer.Option(
        None, help="Folder for the results (default: var/discovery/DATE)."
    ),
    rules: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="A signal rule file (default: the platform's)."
    ),
    chunk_persons: int = typer.Option(3_000_000, min=1, help="Residents per chunk of counties."),
    with_cases: bool = typer.Option(
        False,
        "--with-cases",
        help="Count the case module's enrolments as enrolled, and find their amounts changed.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Evaluate even when the inputs have not changed."
    ),
) -> None:
    """Screening, every warning signal and the poverty measure in one pass over the lake
    (DuckDB); a second run with nothing changed reuses the results."""
    from minzheng.discovery import pipeline, screening
    from minzheng.lib.i18n import TranslatableError

    when = _date_option(date)
    if lake is None or out is None or with_cases:
        _django()
    if lake is None:
        lake = _snapshot_path(None)
    if out is None:
        from django.conf import settings

        out = settings.VAR_DIR / "discovery" / when.isoformat()
    enrolled, threshold = None, (0.1, 10.0)
    if with_cases:
        from minzheng.discovery.services import amount_threshold, case_enrolments

        enrolled, threshold = case_enrolments(when), amount_threshold(when)
    try:
        with _ProgressBar("discovery: persons") as bar:
            summary = pipeline.run(
                lake=lake,
                date=when,
                out=out,
                rules=rules,
                max_persons=chunk_persons,
                enrolled=enrolled,
                threshold=threshold,
                reuse=not force,
                progress=lambda i, n, _c: bar(i, n),
            )
    except TranslatableError as exc:
        raise _fail(str(exc)) from None
    if summary["reused"]:
        typer.echo(f"= nothing changed since the run of {out}: its results are kept")
    for programme, kinds in summary["findings"].items():
        shown = ", ".join(
            f"{k} {kinds[k]:,}" for k in (*screening.KINDS, screening.AMOUNT_CHANGED) if k in kinds
        )
        typer.echo(f"{programme:<20}{shown}")
    for name, n in summary["signals"].items():
        typer.echo(f"{name:<26}{n:,}")
    for name, why in summary["not_evaluated"].items():
        typer.echo(f"{name:<26}not evaluated ({why})")
    typer.echo(f"✓ findings, signals and the poverty measure in {out}")


@discover_app.command("tasks")
def discover_tasks(
    as_of: str = typer.Option(..., "--as-of", help="The date of the findings and signals."),
    findings: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A findings folder (discover screen)."
    ),
    signals: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A signals folder (discover signals)."
    ),
    run: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A folder of `discover run`: both."
    ),
) -> None:
    """Raise the tasks (核查任务) for the townships: one open task per household, the same
    evidence never raised twice."""
    _django()
    from minzheng.discovery.services import tasks_raise

    if run is not None:
        from minzheng.discovery import pipeline
        from minzheng.lib.i18n import TranslatableError

        try:
            findings, signals, _mpi = pipeline.results_of(
                run, _date_option(as_of, "--as-of"), measure=False
            )
        except TranslatableError as exc:
            raise _fail(str(exc)) from None
    if findings is None and signals is None:
        raise _fail("give --findings, --signals or both")
    counts = tasks_raise(as_of=_date_option(as_of, "--as-of"), findings=findings, signals=signals)
    typer.echo(
        f"✓ {counts['created']:,} tasks created, {counts['updated']:,} updated, "
        f"{counts['unchanged']:,} unchanged; skipped: {counts['recent_case']:,} with a recent "
        f"case, {counts['quiet']:,} closed as not needed recently"
    )


@discover_app.command("monitor")
def discover_monitor(
    date: str = typer.Option(..., help="The as-of date of the findings and signals."),
    findings: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A findings folder."
    ),
    signals: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A signals folder."
    ),
    lake: Path | None = typer.Option(
        None,
        exists=True,
        file_okay=False,
        help="A lake folder for the poverty measure (default: the snapshot in use).",
    ),
    run: Path | None = typer.Option(
        None,
        exists=True,
        file_okay=False,
        help="A folder of `discover run`: its findings, signals and poverty measure.",
    ),
) -> None:
    """Keep every region's figures of the date for the monitoring page: signals and findings
    counted, and the multidimensional poverty measure of every level."""
    _django()
    from minzheng.discovery import monitoring, pipeline, poverty
    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine

    when = _date_option(date)
    if run is not None:
        try:
            findings, signals, mpi = pipeline.results_of(run, when)
        except TranslatableError as exc:
            raise _fail(str(exc)) from None
        n = monitoring.record(when, findings, signals, mpi)
        typer.echo(f"✓ figures of {n:,} regions kept for {when}")
        return
    if lake is None:
        lake = _snapshot_path(None)
    counties = sorted(p.name.split("=", 1)[1] for p in (lake / "hukou_households").glob("county=*"))
    try:
        mpi = poverty.compute(Engine(), connect("duckdb"), lake, when, counties)
    except TranslatableError as exc:
        raise _fail(str(exc)) from None
    n = monitoring.record(when, findings, signals, mpi)
    typer.echo(f"✓ figures of {n:,} regions kept for {when}")


@discover_app.command("score")
def discover_score(
    truth: Path = typer.Option(
        ..., exists=True, file_okay=False, help="The synthetic province's truth/ folder."
    ),
    findings: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A findings folder (discover screen)."
    ),
    signals: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A signals folder (discover signals)."
    ),
) -> None:
    """Recall and precision of the findings and of each signal against the planted truth
    (Markdown tables)."""
    from minzheng.discovery import signals as signal_rules
    from minzheng.discovery.screening import score

    def share(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    if findings is None and signals is None:
        raise _fail("give --findings, --signals or both")
    if findings is not None:
        typer.echo(
            "| programme | finding | unit | found | planted | matched | recall | precision |"
        )
        typer.echo("|---|---|---|---|---|---|---|---|")
        for r in score(findings, truth):
            typer.echo(
                f"| {r['programme']} | {r['kind']} | {r['unit']} | {r['found']:,} | "
                f"{r['planted']:,} | {r['matched']:,} | {share(r['recall'])} | "
                f"{share(r['precision'])} |"
            )
    if signals is not None:
        if findings is not None:
            typer.echo("")
        typer.echo("| signal | label | found | planted | matched | recall | precision |")
        typer.echo("|---|---|---|---|---|---|---|")
        for r in signal_rules.score(signals, truth):
            typer.echo(
                f"| {r['signal']} | {r['label']} | {r['found']:,} | {r['planted']:,} | "
                f"{r['matched']:,} | {share(r['recall'])} | {share(r['precision'])} |"
            )


@feed_app.command("docs")
def feed_docs() -> None:
    """Print every declared feed and column (Markdown, docs/data/feeds.md)."""
    from minzheng.exchange.feeds import render_docs

    typer.echo(render_docs(), nl=False)


@app.command()
def catalogue() -> None:
    """Print every rule and parameter with label, unit and reference (Markdown)."""
    from minzheng.policy.catalogue import render_catalogue
    from minzheng.policy.engine import Engine

    typer.echo(render_catalogue(Engine()), nl=False)


def main() -> None:
    """Entry point of the console script."""
    app()


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


@app.command()
def simulate(
    scenarios: list[Path] = typer.Argument(
        ..., exists=True, dir_okay=False, help="Scenario files (YAML), compared side by side."
    ),
    date: str = typer.Option(..., help="The as-of date, YYYY-MM-DD (never the clock)."),
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
    out: Path | None = typer.Option(
        None, dir_okay=False, help="Keep the run's results (JSON, aggregates only)."
    ),
    xlsx: Path | None = typer.Option(
        None, dir_okay=False, help="The results as an Excel workbook, a sheet per breakdown."
    ),
    ideal: str | None = typer.Option(
        None,
        help="The ideal population, e.g. 'income < line' (targeting: leakage, under-coverage).",
    ),
    target_programme: str = typer.Option(
        "dibao", help="The programme whose targeting is measured."
    ),
    budget: str | None = typer.Option(
        None,
        help="An annual budget (yuan) for --target-programme: the cap and proportional strategies.",
    ),
    chunk_persons: int = typer.Option(3_000_000, min=1, help="Residents per chunk of counties."),
) -> None:
    """Policy simulation (政策仿真): the baseline and the scenarios over the whole lake on a
    date — coverage, cost, newly covered and excluded, caseworker hours, poverty — by
    programme and region."""
    import json
    from decimal import Decimal, InvalidOperation

    _django()
    from django.utils.translation import gettext as _

    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.lake import lake_manifest
    from minzheng.simulation import present, runner
    from minzheng.simulation.run import BASELINE
    from minzheng.simulation.scenarios import load_scenario

    when = _date_option(date)
    for target in (out, xlsx):
        if target is not None and target.exists():  # a run is never silently overwritten
            raise _fail(_("%(path)s exists already: give another name.") % {"path": target})
    if lake is None:
        lake = _snapshot_path(None)
    engine = Engine()
    budget_yuan = None
    if budget is not None:
        try:
            budget_yuan = Decimal(budget.replace(",", ""))
            if not budget_yuan.is_finite() or budget_yuan < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise _fail(
                _("--budget %(value)s: an amount of 0 yuan or more.") % {"value": budget}
            ) from None
    try:
        source = lake_manifest(lake)
        loaded = [load_scenario(p, engine.parameters, set(engine.rules)) for p in scenarios]
        with _ProgressBar(_("simulating")) as bar:
            run = runner.execute(
                engine,
                connect("duckdb"),
                lake,
                when,
                loaded,
                source=source,
                ideal=ideal,
                target_programme=target_programme,
                budget=budget_yuan,
                progress=lambda i, n, _c: bar(i, n),
                max_persons=chunk_persons,
            )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    summary, spread = run["results"], run["distribution"]
    province = "330000"
    for name in summary:
        shown = _("baseline") if name == BASELINE else name
        typer.echo(f"\n{shown}")
        typer.echo(
            _ljust(_("programme"), 24)
            + "".join(
                _ljust(_(label), 16)
                for label in (
                    "households covered",
                    "persons covered",
                    "annual cost (yuan)",
                    "change of annual cost (yuan)",
                    "newly covered households",
                    "newly excluded households",
                )
            )
        )
        for programme, row in summary[name]["province"][province]["programmes"].items():
            typer.echo(
                _ljust(run["labels"][programme], 24)
                + "".join(
                    _ljust(
                        f"{row[k]:,}" if not isinstance(row[k], Decimal) else f"{row[k]:,.2f}", 16
                    )
                    for k in (
                        "households",
                        "persons",
                        "annual_cost",
                        "annual_cost_change",
                        "newly_covered",
                        "newly_excluded",
                    )
                )
            )
        poverty = summary[name]["province"][province]["poverty"]
        typer.echo(
            _(
                "Poverty rate before transfers %(before).2f%%, after %(after).2f%% (baseline %(base).2f%%)"
            )
            % {
                "before": 100 * poverty["rate_before"],
                "after": 100 * poverty["rate_after"],
                "base": 100 * poverty["rate_after_baseline"],
            }
        )
    for name, figures in spread.items():
        typer.echo(
            _(
                "%(name)s: Gini %(before).4f → %(after).4f; persons gaining %(gain).1f%%, losing %(lose).1f%%"
            )
            % {
                "name": name,
                "before": figures["gini"]["before"],
                "after": figures["gini"]["after"],
                "gain": 100
                * sum(v for k, v in figures["province"]["bands"].items() if k.startswith("gain")),
                "lose": 100
                * sum(v for k, v in figures["province"]["bands"].items() if k.startswith("lose")),
            }
        )
        if "budget" in figures:
            b = figures["budget"]
            typer.echo(
                _(
                    "Budget %(budget)s yuan: no limit %(cost)s; cap %(capped)s households "
                    "(%(left)s left out); proportional ×%(factor)s"
                )
                % {
                    "budget": f"{b['budget']:,.2f}",
                    "cost": f"{b['no_limit']['annual_cost']:,.2f}",
                    "capped": f"{b['cap']['households']:,}",
                    "left": f"{b['cap']['left_out']:,}",
                    "factor": b["proportional"]["factor"],
                }
            )
        if "targeting" in figures:
            shown = figures["targeting"]["scenario"]
            typer.echo(
                _(
                    "Targeting of %(programme)s against %(ideal)s: leakage %(leakage)s, under-coverage %(under)s"
                )
                % {
                    "programme": run["labels"][target_programme],
                    "ideal": ideal,
                    "leakage": _share(shown["leakage_households"]),
                    "under": _share(shown["under_coverage_households"]),
                }
            )
    if out is not None:
        out.write_text(
            json.dumps(run, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        typer.echo(f"✓ {out}")
    if xlsx is not None:
        present.workbook(xlsx, run)
        typer.echo(f"✓ {xlsx}")


@app.command("simulate-budget")
def simulate_budget(
    parameter: str = typer.Option(..., help="The parameter searched, e.g. dibao.standard_monthly."),
    budget: str = typer.Option(..., help="The annual budget in yuan."),
    low: str = typer.Option(..., help="The lowest value tried."),
    high: str = typer.Option(..., help="The highest value tried."),
    date: str = typer.Option(..., help="The as-of date, YYYY-MM-DD (never the clock)."),
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
    programme: list[str] = typer.Option(
        ["dibao"], help="The programmes the budget pays for (repeat the option)."
    ),
    region: str = typer.Option("330000", help="The region the value is set for."),
    step: str = typer.Option("1", help="The precision: whole steps above the lowest value."),
    ways: int = typer.Option(1, min=1, max=32, help="Values tried per run (1: bisection)."),
    chunk_persons: int = typer.Option(3_000_000, min=1, help="Residents per chunk of counties."),
) -> None:
    """Budget mode (政策仿真·预算): the highest value of a parameter whose programmes' annual
    cost fits the budget, by bisection (both ends and the answer over every household, the
    narrowing over the households with a cost at either end), each step reported."""
    from decimal import Decimal, InvalidOperation

    _django()
    from django.utils.translation import gettext as _

    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.lake import lake_manifest
    from minzheng.simulation import budget as budgets

    numbers = {}
    for option, raw in (("--budget", budget), ("--low", low), ("--high", high), ("--step", step)):
        try:
            numbers[option] = Decimal(raw.replace(",", ""))
            if not numbers[option].is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise _fail(
                _("%(option)s %(value)s: not a number.") % {"option": option, "value": raw}
            ) from None
    if lake is None:
        lake = _snapshot_path(None)
    when = _date_option(date)

    def report(s) -> None:
        verdict = _("fits") if s.fits else _("over the budget")
        over = "" if s.over_all else _(", over the households with a cost at either end")
        typer.echo(f"{parameter} = {s.value}: {s.annual_cost:,.2f} ({verdict}{over})")

    try:
        lake_manifest(lake)
        value, steps = budgets.search(
            Engine(),
            connect("duckdb"),
            lake,
            when,
            parameter,
            numbers["--budget"],
            numbers["--low"],
            numbers["--high"],
            programmes=list(programme),
            region=region,
            step=numbers["--step"],
            ways=ways,
            report=report,
            max_persons=chunk_persons,
        )
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    typer.echo(
        _("The highest value that fits: %(parameter)s = %(value)s (%(steps)s values tried)")
        % {"parameter": parameter, "value": value, "steps": len(steps)}
    )


@app.command("simulate-plan")
def simulate_plan(
    lake: Path | None = typer.Option(
        None, exists=True, file_okay=False, help="A lake folder (default: the snapshot in use)."
    ),
) -> None:
    """The plan's path (规划路径): the plan's 低保 and children's standards for 2020, 2022 and
    2025, each year's cost and coverage on the lake against the parameters in force."""
    _django()
    from django.utils.translation import gettext as _

    from minzheng.lib.i18n import TranslatableError
    from minzheng.policy.backends import connect
    from minzheng.policy.engine import Engine
    from minzheng.policy.lake import lake_manifest
    from minzheng.simulation import plan

    if lake is None:
        lake = _snapshot_path(None)
    engine = Engine()
    try:
        lake_manifest(lake)
        with _ProgressBar(_("simulating")) as bar:
            years = plan.path(engine, connect("duckdb"), lake, progress=bar)
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    labels = {p.name: p.label for p in engine.programmes}
    typer.echo(
        _ljust(_("year"), 8)
        + _ljust(_("programme"), 38)
        + "".join(
            _ljust(_(label), 18)
            for label in ("households covered", "persons covered", "annual cost (yuan)")
        )
        + _("annual cost, baseline (yuan)")
    )
    for year in years:
        for programme in plan.SHOWN:
            row = year["scenario"][programme]
            typer.echo(
                _ljust(str(year["year"]), 8)
                + _ljust(labels[programme], 38)
                + _ljust(f"{row['households']:,}", 18)
                + _ljust(f"{row['persons']:,}", 18)
                + _ljust(f"{row['annual_cost']:,.2f}", 18)
                + f"{row['baseline_annual_cost']:,.2f}"
            )


@app.command("simulate-worker", hidden=True)
def simulate_worker(number: str = typer.Argument(..., help="The run's number.")) -> None:
    """Run a simulation started from the web page (its own process; see simulation.services)."""
    _django()
    from django.conf import settings
    from django.utils import translation

    from minzheng.simulation import services

    translation.activate(settings.LANGUAGE_CODE)
    run = services.work(number)
    typer.echo(f"{run.number}: {run.status} {run.message}")


@eldercare_app.command("export")
def eldercare_export(
    out: Path = typer.Option(
        ..., "--out", dir_okay=False, help="The CSV to write (never replaced)."
    ),
    user: str = typer.Option(..., help="The data steward who will load it (a user name)."),
    since: str | None = typer.Option(None, help="Only assessments on or after this date."),
) -> None:
    """Write the confirmed capability assessments of the steward's scope as a delivery of the
    feed elderly_capability, to load with `minzheng feed load elderly_capability`."""
    _django()
    import datetime as dt

    from minzheng.eldercare import services
    from minzheng.lib.i18n import TranslatableError

    try:
        day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise _fail(f"--since {since!r}: not a date (YYYY-MM-DD)") from None
    try:
        n = services.export_feed(out, user=_steward(user), since=day)
    except FileExistsError:
        raise _fail(f"--out {out}: the file exists; it is never replaced") from None
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    typer.echo(f"✓ {n:,} confirmed assessments written to {out}")


@eldercare_app.command("load-records")
def eldercare_load_records(
    lake: Path = typer.Option(..., exists=True, file_okay=False, help="A lake folder."),
    user: str = typer.Option(..., help="The data steward loading it (a user name)."),
) -> None:
    """Load the lake's elder-care feeds into the platform's records: institutions, beds,
    staff, consortia and home services (all or nothing; a second run changes nothing)."""
    _django()
    from django.utils.translation import gettext

    from minzheng.eldercare.records import load_records
    from minzheng.lib.i18n import TranslatableError

    steward = _steward(user)
    try:
        with _ProgressBar(gettext("loading elder-care records")) as bar:
            result = load_records(lake, user=steward, progress=bar)
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    for model, c in result["counts"].items():
        if model == "RecordRefusal":
            continue
        typer.echo(
            f"  {model:<18}{c['rows']:>10,}  +{c['created']:,} ~{c['updated']:,} -{c['deleted']:,}"
        )
    from minzheng.eldercare.records import REFUSALS

    for r in result["refused"]:
        reason = gettext(REFUSALS.get(r["code"], r["code"]))
        typer.secho(
            gettext("%(file)s: %(rows)s rows refused (%(reason)s)") % (r | {"reason": reason}),
            fg=typer.colors.YELLOW,
            err=True,
        )
    typer.echo(
        gettext("✓ elder-care records of %(path)s as of %(date)s: %(changed)s changes")
        % {"path": lake, "date": result["snapshot_date"], "changed": f"{result['changed']:,}"}
    )


@eldercare_app.command("alerts")
def eldercare_alerts(
    lake: Path = typer.Option(..., exists=True, file_okay=False, help="A lake folder."),
    date: str = typer.Option(..., help="The day of the devices' signals, YYYY-MM-DD."),
    out: Path | None = typer.Option(None, help="Write the alerts to this Parquet file."),
    rules: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="An alert rule file (default: the platform's)."
    ),
    score: bool = typer.Option(
        False, "--score", help="Score the rules against the synthetic lake's planted truth."
    ),
    raise_: bool = typer.Option(
        False,
        "--raise",
        help="Store the alerts on the platform (each alert id once) at the chain's first step.",
    ),
) -> None:
    """Evaluate the alerts for older people living alone (独居老人监测预警) over a day of the
    home devices' signals; flag signals from unknown devices; with --raise, store them for
    the escalation chain."""
    import pyarrow.parquet as pq
    from django.utils.translation import gettext, pgettext

    from minzheng.eldercare import alerts
    from minzheng.lib.i18n import TranslatableError

    _django()
    from minzheng.eldercare import alert_services

    when = _date_option(date)
    records: list[dict] = []
    try:
        rule_set = alerts.load_rules(rules or alert_services.rules_path())
        if raise_:
            result, records = alert_services.lake_records(lake, when, rule_set)
        else:
            result = alerts.evaluate_lake(lake, when, rule_set)
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    counts: dict[str, int] = {}
    for name in result.alerts.column("rule").to_pylist():
        counts[name] = counts.get(name, 0) + 1
    rows = (
        alerts.score(result.alerts, alerts.read_truth(lake), result.monitored, rule_set)
        if (score and (lake / "truth" / "device_emergencies").is_dir())
        else None
    )
    if score and rows is None:
        raise _fail(gettext("%(path)s holds no planted truth to score against.") % {"path": lake})
    typer.echo(
        gettext("%(date)s: %(monitored)s older people living alone, %(devices)s devices.")
        % {"date": when, "monitored": f"{result.monitored:,}", "devices": f"{result.devices:,}"}
    )
    names = [pgettext("alert summary", "Alerts")]
    if rows:
        names += [
            pgettext("alert summary", "Planted"),
            pgettext("alert summary", "Found"),
            pgettext("alert summary", "Recall"),
        ]
    header = _ljust(pgettext("alert summary", "Rule"), 26) + "".join(_rjust(n, 10) for n in names)
    if rows:
        header += "  " + pgettext("alert summary", "False alarms per 1,000 older people")
    typer.echo(header)
    for i, rule in enumerate(rule_set.rules):
        line = _ljust(rule.label, 26) + f"{counts.get(rule.name, 0):>10,}"
        if rows:
            r = rows[i]
            recall = "—" if r["recall"] is None else f"{r['recall']:.3f}"
            per = "—" if r["false_per_1000"] is None else f"{r['false_per_1000']:.2f}"
            line += f"{r['planted']:>10,}{r['found']:>10,}{recall:>10}  {per:>10}"
        typer.echo(line)
    flagged = result.flagged.to_pylist()
    for row in flagged[:20]:
        typer.secho(gettext(alerts.UNKNOWN_DEVICE) % row, fg=typer.colors.YELLOW, err=True)
    if len(flagged) > 20:
        typer.secho(
            gettext("… and %(n)s more signals from unknown devices.") % {"n": len(flagged) - 20},
            fg=typer.colors.YELLOW,
            err=True,
        )
    if out is not None:
        pq.write_table(result.alerts, out)
        typer.echo(
            gettext("✓ %(n)s alerts in %(path)s") % {"n": result.alerts.num_rows, "path": out}
        )
    if raise_:
        done = alert_services.alerts_raise(records=records, rules=rule_set, flagged=flagged)
        for row in done.flagged[len(flagged) :]:
            typer.secho(alert_services.flagged_message(row), fg=typer.colors.YELLOW, err=True)
        typer.echo(
            gettext("✓ %(created)s alerts raised, %(existing)s already raised")
            % {"created": done.created, "existing": done.existing}
        )


@eldercare_app.command("escalate")
def eldercare_escalate(
    at: str | None = typer.Option(
        None, "--at", help="The time to escalate at, YYYY-MM-DDTHH:MM (default: now)."
    ),
) -> None:
    """Move every unacknowledged alert whose timer ran out to the next step of the chain
    (relative → village/grid worker → township visit); meant to run every minute."""
    _django()
    from django.utils import timezone
    from django.utils.translation import gettext

    from minzheng.eldercare import alert_services

    now = None
    if at is not None:
        try:
            now = dt.datetime.fromisoformat(at.strip())
        except ValueError:
            raise _fail(f"--at {at!r}: not a date and time (YYYY-MM-DDTHH:MM)") from None
        if timezone.is_naive(now):
            now = timezone.make_aware(now)
    moved = alert_services.alerts_escalate(now=now)
    typer.echo(gettext("✓ %(n)s alerts escalated") % {"n": moved})


from minzheng.lib.i18n import gettext_noop  # noqa: E402  (msgids of the layout's steps)

LAYOUT_STEPS = {
    "read": gettext_noop("Reading the institutions and home-care centres…"),
    "homes": gettext_noop("Reading the older people and their homes…"),
    "indicators": gettext_noop("Counting beds and certified carers per 10,000 older people…"),
    "coverage": gettext_noop("Measuring the distance to the nearest facility…"),
    "sites": gettext_noop("Choosing the new sites (maximal covering location problem)…"),
    "done": gettext_noop("Done."),
}


@eldercare_app.command("layout")
def eldercare_layout(
    lake: Path = typer.Option(..., exists=True, file_okay=False, help="A lake folder."),
    city: str = typer.Option("330100", help="The city (or county) code, e.g. 330100 for 杭州市."),
    sites: int = typer.Option(10, help="How many new sites to suggest (1–200)."),
    out: Path | None = typer.Option(
        None, dir_okay=False, help="Write the result to FILE.json or FILE.csv (never replaced)."
    ),
) -> None:
    """The layout plan of elder care (养老机构布局): beds, nursing-type and dementia-care beds
    and valid certified carers per 10,000 older people against the plan's targets, the share of
    older people of the main urban area within 1 km (straight line) of an institution or
    home-care centre, and new sites that cover the most of the others."""
    from django.utils.translation import gettext, pgettext

    from minzheng.eldercare import layout
    from minzheng.lib.i18n import TranslatableError

    _django()
    try:
        if out is not None:
            layout.output_paths(out)
    except FileExistsError as exc:
        raise _fail(
            gettext("--out %(path)s: the file exists; it is never replaced.") % {"path": exc}
        ) from None
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None

    def progress(step: str) -> None:
        typer.secho(gettext(LAYOUT_STEPS[step]), err=True, fg=typer.colors.BLUE)

    try:
        result = layout.layout(lake, city, sites=sites, progress=progress)
    except TranslatableError as exc:
        raise _fail(exc.translated()) from None
    targets = layout.load_targets()
    typer.echo(
        gettext("%(name)s (%(code)s), data of %(date)s")
        % {"name": result.name, "code": result.area, "date": result.snapshot}
    )
    columns = [
        (pgettext("layout", "Region"), 14),
        (pgettext("layout", "Older people"), 12),
        (pgettext("layout", "Beds /10k"), 11),
        (pgettext("layout", "Nursing %"), 10),
        (pgettext("layout", "Dementia /10k"), 14),
        (pgettext("layout", "Carers /10k"), 12),
        (pgettext("layout", "Consortia"), 10),
    ]
    typer.echo(_ljust(columns[0][0], columns[0][1]) + "".join(_rjust(n, w) for n, w in columns[1:]))
    typer.echo(
        _ljust(pgettext("layout", "Target 2025"), 14)
        + _rjust("", 12)
        + "".join(
            _rjust(_number(targets[k].target_2025), w)
            for k, w in (
                ("beds_per_10k", 11),
                ("nursing_share", 10),
                ("dementia_beds_per_10k", 14),
                ("carers_per_10k", 12),
            )
        )
    )
    for row in result.indicators:
        marks = row["meets"]
        cells = [
            _mark(row["beds_per_10k"], marks["beds_per_10k"]),
            _mark(row["nursing_share"], marks["nursing_share"]),
            _mark(row["dementia_beds_per_10k"], marks["dementia_beds_per_10k"]),
            _mark(row["carers_per_10k"], marks["carers_per_10k"]),
        ]
        typer.echo(
            _ljust(row["name"], 14)
            + _rjust(f"{row['older']:,}", 12)
            + "".join(_rjust(c, w) for c, (_n, w) in zip(cells, columns[2:6], strict=True))
            + _rjust(str(row["consortia"]), 10)
        )
    typer.echo(gettext("✗ = below the plan's 2025 target."))
    typer.echo("")
    typer.echo(
        gettext(
            "Main urban area (urban households of the city's districts): older people within "
            "%(km)s km of an institution or home-care centre"
        )
        % {"km": _number(result.radius_m / 1000)}
    )
    header = [
        (pgettext("layout", "District"), 14),
        (pgettext("layout", "Older people"), 12),
        (pgettext("layout", "Within 1 km"), 12),
        (pgettext("layout", "Share %"), 9),
        (pgettext("layout", "Institution only %"), 20),
        (pgettext("layout", "With new sites %"), 18),
    ]
    typer.echo(_ljust(header[0][0], 14) + "".join(_rjust(n, w) for n, w in header[1:]))
    for row in result.coverage:
        name = row["name"] or pgettext("layout", "Total")
        typer.echo(
            _ljust(name, 14)
            + _rjust(f"{row['older']:,}", 12)
            + _rjust(f"{row['covered']:,}", 12)
            + _rjust(_number(row["share"]), 9)
            + _rjust(_number(row["share_institution"]), 20)
            + _rjust(_number(row["share_after"]), 18)
        )
    typer.echo(gettext(layout.STRAIGHT_LINE))
    typer.echo("")
    typer.echo(gettext("Suggested new sites (each covers older people no facility covers yet):"))
    for s in result.sites:
        typer.echo(
            gettext("%(rank)s. %(lon)s, %(lat)s (%(county)s): %(n)s older people newly covered")
            % {
                "rank": s["rank"],
                "lon": f"{s['lon']:.5f}",
                "lat": f"{s['lat']:.5f}",
                "county": s["county_name"],
                "n": f"{s['newly_covered']:,}",
            }
        )
    if out is not None:
        try:
            written = layout.write(result, out)
        except FileExistsError as exc:
            raise _fail(
                gettext("--out %(path)s: the file exists; it is never replaced.") % {"path": exc}
            ) from None
        except TranslatableError as exc:
            raise _fail(exc.translated()) from None
        for path in written:
            typer.echo(gettext("✓ written to %(path)s") % {"path": path})


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def _mark(value: float | None, meets: bool | None) -> str:
    return _number(value) + ("" if meets or meets is None else " ✗")
