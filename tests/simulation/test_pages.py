"""The analysts' simulation pages: only the analyst may use them; a bad scenario is refused on
the form with its file and line; a run started there goes on in its worker, is followed by its
progress, shows its results and its workbook; a run whose worker stopped is marked failed."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from minzheng.accounts.services import user_create
from minzheng.audit.models import AuditEvent
from minzheng.regions.models import Region
from minzheng.simulation import services
from minzheng.simulation.models import SimulationRun
from tests.conftest import PASSWORD

SCENARIO = "name: 提高\ndate: 2020-07-01\nparameters:\n  dibao.standard_monthly: 1000\n"


@pytest.fixture
def analyst(regions):
    return user_create(
        username="an_sim",
        password=PASSWORD,
        role="analyst",
        region=Region.objects.get(code="330000"),
    )


@pytest.fixture
def sim_settings(settings, small_lake):
    settings.VERIFY_LAKE = small_lake
    settings.SIMULATION_SPAWN = False  # the test is the worker
    return settings


def _form(**changes):
    data = {
        "name": "试算",
        "as_of": "2020-12-31",
        "scenario_1": SCENARIO,
        "ideal": "",
        "budget": "",
    }
    return data | changes


@pytest.mark.django_db
def test_only_the_analyst_uses_the_pages(client, analyst, caseworker, approver, outsider):
    url = reverse("simulation:runs")
    assert client.get(url).status_code == 302
    for user in (caseworker, approver, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(analyst)
    page = client.get(url)
    assert page.status_code == 200 and "政策仿真" in page.content.decode()


@pytest.mark.django_db
def test_a_bad_scenario_is_refused_on_the_form(client, analyst, sim_settings):
    client.force_login(analyst)
    url = reverse("simulation:runs")
    bad = client.post(url, _form(scenario_1=SCENARIO.replace("dibao.standard", "dibao.nonsense")))
    assert bad.status_code == 400
    assert "方案1.yaml 第 4 行" in bad.content.decode()
    for changes, text in (
        ({"ideal": "income <"}, "理想对象"),
        ({"budget": "-3"}, "预算"),
        ({"scenario_2": SCENARIO}, "重复"),
    ):
        refused = client.post(url, _form(**changes))
        assert refused.status_code == 400 and text in refused.content.decode(), changes
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db
def test_a_worker_that_cannot_start_fails_the_run(client, analyst, sim_settings, monkeypatch):
    def no_process(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(services.subprocess, "Popen", no_process)
    sim_settings.SIMULATION_SPAWN = True
    client.force_login(analyst)
    started = client.post(reverse("simulation:runs"), _form())
    run = SimulationRun.objects.get()
    assert started.status_code == 302 and run.status == "failed"
    assert "Resource temporarily unavailable" in run.message and run.finished_at
    page = client.get(started["Location"])
    assert page.status_code == 200 and "Resource temporarily unavailable" in page.content.decode()


@pytest.mark.lake
@pytest.mark.django_db
def test_a_run_from_the_page_to_its_results(client, analyst, sim_settings):
    client.force_login(analyst)
    started = client.post(
        reverse("simulation:runs"), _form(ideal="income < line", budget="5000000")
    )
    run = SimulationRun.objects.get()
    assert started.status_code == 302 and started["Location"].endswith(f"/runs/{run.number}/")
    assert AuditEvent.objects.filter(action="simulation_start", object_id=run.number).exists()
    page = client.get(started["Location"])
    assert page.status_code == 200 and 'data-testid="run-progress"' in page.content.decode()
    progress = client.get(reverse("simulation:progress", args=[run.number])).json()
    assert progress["status"] == "queued"
    assert client.get(reverse("simulation:workbook", args=[run.number])).status_code == 409
    done = services.work(run.number)  # what the worker process does
    assert done.status == "done", done.message
    progress = client.get(reverse("simulation:progress", args=[run.number])).json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] > 0
    page = client.get(started["Location"]).content.decode()
    assert 'data-testid="results"' in page and "最低生活保障" in page
    assert 'id="simulation-data"' in page and "echarts.min.js" in page
    assert "id_number" not in str(done.results)  # aggregates only
    book = client.get(reverse("simulation:workbook", args=[run.number]))
    assert book.status_code == 200
    sheets = load_workbook(BytesIO(b"".join(book.streaming_content))).sheetnames
    assert "收入十分位" in sheets and "预算" in sheets
    assert services.work(run.number).status == "done"  # a second worker does nothing
    # a city's analyst: the runs of the city, their workbook with the city's regions only
    city = user_create(
        username="an_hz",
        password=PASSWORD,
        role="analyst",
        region=Region.objects.get(code="330100"),
    )
    client.force_login(city)
    assert client.get(reverse("simulation:run", args=[run.number])).status_code == 404
    SimulationRun.objects.filter(pk=run.pk).update(region_code="330100")
    book = client.get(reverse("simulation:workbook", args=[run.number]))
    cells = {
        str(c.value)
        for sheet in load_workbook(BytesIO(b"".join(book.streaming_content))).worksheets
        for row in sheet.iter_rows()
        for c in row
    }
    assert any("杭州市" in c for c in cells) and not any("宁波市" in c for c in cells)
    assert not any("浙江省" in c for c in cells)


@pytest.mark.django_db
def test_a_run_whose_worker_stopped_is_marked_failed(analyst):
    old = timezone.now() - dt.timedelta(seconds=services.ALIVE_SECONDS + 5)
    running = SimulationRun.objects.create(
        number="FZ1",
        name="x",
        region_code="330000",
        created_by=analyst,
        as_of=dt.date(2020, 12, 31),
        status="running",
        heartbeat_at=old,
    )
    alive = SimulationRun.objects.create(
        number="FZ2",
        name="y",
        region_code="330000",
        created_by=analyst,
        as_of=dt.date(2020, 12, 31),
        status="running",
        heartbeat_at=timezone.now(),
    )
    assert services.reap() == 1
    running.refresh_from_db()
    alive.refresh_from_db()
    assert running.status == "failed" and "中断" in running.message
    assert alive.status == "running"


@pytest.mark.django_db
def test_a_run_that_fails_says_why(analyst, sim_settings, tmp_path):
    sim_settings.VERIFY_LAKE = tmp_path / "no-lake"
    (tmp_path / "no-lake").mkdir()
    run = services.start(
        analyst, None, name="x", as_of=dt.date(2020, 12, 31), files=[("a.yaml", SCENARIO)]
    )
    failed = services.work(run.number)
    assert failed.status == "failed" and "no-lake" in failed.message
    assert failed.results is None
