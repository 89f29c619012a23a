"""Locust users for the case load test (issue #12): township caseworkers at work.

Run by `bench/load_cases.py`, which builds the database, the accounts and the server and
sets LOAD_ACCOUNTS (a JSON list of {"username", "township"}), LOAD_PASSWORD and LOAD_OUT
(where every request, the expected conflicts and the completed flows are written at the
end: requests.csv, conflicts.json, flows.json). By hand:

    LOAD_ACCOUNTS=accounts.json LOAD_PASSWORD=… LOAD_OUT=DIR .venv/bin/locust \
        -f bench/locustfile_cases.py --headless -u 50 -r 10 --run-time 2m --host URL

Each user takes the next account, logs in through the login form (its CSRF token), then
loops over typical flows with think time between them (2–6 s) and inside them (1–3 s):

- the worklist (`/cases/`), then one case page from it, and now and then the case's next
  forward step (submit, run the check, start the township review, record the home visit)
  through the step form on that page;
- the home page (`/`);
- the open cases of the scope through the API (`GET /api/cases`);
- now and then a new case: a household of the scope from the household list of
  `/verification/` without an open case in the user's last API list (listed first if the
  user has not yet), every adult
  member's consent recorded online on the consents page, the case opened from the
  worklist's form, submitted, and half of the time checked (`verify`).

Every page is checked for a marker of its content (else the request fails); a form posted
must answer with a redirect to the expected page (followed, as a browser would). A 409
whose reason code is one of a race (the case changed, its state moved on, the household
got an open case meanwhile) is an expected answer: it counts as a success of its request
and is tallied apart in `conflicts.json`; any other 4xx, any 5xx, a missing marker or a
redirect to the login page is a failure.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
PASSWORD = os.environ["LOAD_PASSWORD"]
OUT = Path(os.environ.get("LOAD_OUT", "."))
ZONE = ZoneInfo("Asia/Shanghai")  # the app's time zone: dates and times typed in forms
_accounts = itertools.count()

# 409 reason codes that a race between two users produces (the user reloads and goes on)
RACES = {"case_changed", "illegal_transition", "case_already_open"}
# the forward steps a caseworker takes from a case page, and what each needs
FORWARD = ["submit", "verify", "start_review", "record_visit"]
TARGET = {
    "submit": "submitted",
    "verify": "verifying",
    "start_review": "township_review",
    "record_visit": "public_notice",
}
CONFLICTS: dict[str, Counter] = defaultdict(Counter)  # request name → reason code → count
FLOWS: Counter = Counter()
REQUESTS: list[tuple] = []  # (start, type, name, ms, status, failed): exact percentiles later

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/([A-Za-z0-9-]+)/"')
ERROR_CODE = re.compile(r'data-code="([a-z_]+)"')
STATE = re.compile(r'data-testid="state" data-state="([a-z_]+)"')
STEP = re.compile(r'data-testid="step-([a-z_]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
AS_OF = re.compile(r'name="as_of" value="(\d{4}-\d{2}-\d{2})"')
HOUSEHOLD_ROW = re.compile(r"<tr><td>(H\d+)</td>")
ADULT_OPTION = re.compile(r'<option value="(\d{17}[\dX])"')


@events.request.add_listener
def _record(request_type, name, response_time, exception=None, response=None, **_kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    start = time.time() - response_time / 1000
    REQUESTS.append((start, request_type, name, response_time, status, exception is not None))


def problem(r) -> str:
    """What went wrong with a response, for the failure report (status 0: no answer)."""
    if not r.status_code:
        return f"no answer: {r.error!r}"
    found = ERROR_CODE.search(r.text or "")
    detail = found.group(1) if found else r.headers.get("Location", "") or (r.text or "")[:120]
    return f"{r.status_code} {detail}".strip()


@events.test_stop.add_listener
def _write_tallies(**_kwargs) -> None:
    with (OUT / "requests.csv").open("w", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(["start", "type", "name", "ms", "status", "failed"])
        out.writerows(REQUESTS)
    (OUT / "conflicts.json").write_text(
        json.dumps({k: dict(v) for k, v in CONFLICTS.items()}, ensure_ascii=False, indent=1)
    )
    (OUT / "flows.json").write_text(json.dumps(dict(FLOWS), indent=1))


def think(low: float = 1, high: float = 3) -> None:
    gevent.sleep(random.uniform(low, high))


class Caseworker(HttpUser):
    wait_time = between(2, 6)

    def on_start(self) -> None:
        account = ACCOUNTS[next(_accounts) % len(ACCOUNTS)]
        self.username = account["username"]
        self.open_households: set[str] | None = None  # from the last API list
        self.as_of = ""
        self.logged_in = self.login()

    # --- helpers -----------------------------------------------------------------------

    def page(self, url: str, name: str, markers: list[str]) -> str | None:
        """GET a page; it must be a 200 holding every marker."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(problem(r))
                return None
            missing = [m for m in markers if m not in r.text]
            if missing:
                r.failure(f"marker missing: {missing}")
                return None
            r.success()
            return r.text

    def post(self, url: str, name: str, data: dict, expect: str) -> tuple[str, str]:
        """POST a form; it must redirect to a URL starting with `expect` → ("ok",
        location); a 409 of a race → ("conflict", code); anything else fails → ("error", …)."""
        with self.client.post(
            url, data=data, name=name, allow_redirects=False, catch_response=True
        ) as r:
            location = r.headers.get("Location", "")
            if r.status_code == 302 and location.startswith(expect):
                r.success()
                return "ok", location
            found = ERROR_CODE.search(r.text or "")
            code = found.group(1) if found else ""
            if r.status_code == 409 and code in RACES:
                r.success()
                CONFLICTS[name][code] += 1
                return "conflict", code
            r.failure(problem(r))
            return "error", code

    def login(self) -> bool:
        text = self.page("/login/", "/login/", ['id="id_username"', "csrfmiddlewaretoken"])
        if text is None:
            return False
        think(1, 2)
        outcome, _ = self.post(
            "/login/",
            "/login/ (post)",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": CSRF.search(text).group(1),
                "next": "",
            },
            expect="/",
        )
        if outcome == "ok":
            FLOWS["login"] += 1
            return True
        return False

    def case_page(self, number: str) -> str | None:
        return self.page(
            f"/cases/{number}/",
            "/cases/[number]/",
            [f"{number}</h1>", 'data-testid="timeline"', 'data-testid="state"'],
        )

    def step(self, number: str, text: str, action: str) -> str | None:
        """Take `action` through its form on the case page `text`; then the case page
        (returned)."""
        data = {
            "csrfmiddlewaretoken": CSRF.search(text).group(1),
            "action": action,
            "version": VERSION.search(text).group(1),
        }
        if action == "record_visit":
            data |= {
                "visit_date": dt.datetime.now(ZONE).date().isoformat(),
                "findings": "入户核实：家庭成员、收入与申报一致。",
            }
        outcome, _ = self.post(
            f"/cases/{number}/act/", f"/cases/[number]/act/ {action}", data, f"/cases/{number}/"
        )
        if outcome != "ok":
            return None
        after = self.case_page(number)
        if after is None:
            return None
        state = STATE.search(after).group(1)
        FLOWS[
            f"step {action}" if state == TARGET[action] else "step, then moved on by another"
        ] += 1
        return after

    # --- the flows ---------------------------------------------------------------------

    @task(4)
    def worklist_and_case(self) -> None:
        if not self.logged_in:
            self.logged_in = self.login()
            return
        text = self.page(
            "/cases/", "/cases/", ['data-testid="list-mine"', 'data-testid="new-case"']
        )
        if text is None:
            return
        self.as_of = AS_OF.search(text).group(1) if AS_OF.search(text) else self.as_of
        numbers = sorted(set(CASE_LINK.findall(text)))
        if not numbers:
            FLOWS["worklist empty"] += 1
            return
        think()
        number = random.choice(numbers)
        case = self.case_page(number)
        if case is None:
            return
        FLOWS["worklist → case"] += 1
        offered = [a for a in STEP.findall(case) if a in FORWARD]
        if offered and random.random() < 0.25:
            think()
            self.step(number, case, offered[0])

    @task(2)
    def home(self) -> None:
        if not self.logged_in:
            return
        if self.page("/", "/", ['data-testid="home-worklist"', 'data-testid="region-name"']):
            FLOWS["home"] += 1

    @task(2)
    def api_list(self) -> None:
        if not self.logged_in:
            return
        with self.client.get("/api/cases", name="/api/cases", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(problem(r))
                return
            try:
                cases = r.json()
                self.open_households = {c["household_id"] for c in cases}
                assert all(c["number"] and c["state"] for c in cases)
            except (ValueError, KeyError, TypeError, AssertionError) as exc:
                r.failure(f"not a list of cases: {exc!r}")
                return
            if not cases:
                r.failure("no open case in the scope")  # every township has demo cases
                return
            r.success()
            FLOWS["api list"] += 1

    @task(1)
    def new_case(self) -> None:
        if not self.logged_in:
            return
        if self.open_households is None:  # know the open cases before opening one
            self.api_list()
            if self.open_households is None:
                return
        listing = self.page(
            f"/verification/?page={random.randint(1, 5)}",
            "/verification/?page=[n]",
            ['data-testid="households"'],
        )
        if listing is None:
            return
        seen = self.open_households
        households = [h for h in HOUSEHOLD_ROW.findall(listing) if h not in seen]
        if not households:
            FLOWS["new case: no household free"] += 1
            return
        household = random.choice(households)
        think()
        url = f"/verification/households/{household}/consents/"
        consents = self.page(url, "/verification/households/[h]/consents/", [household])
        if consents is None:
            return
        adults = sorted(set(ADULT_OPTION.findall(consents)))
        if not adults:
            FLOWS["new case: household without adults"] += 1
            return
        for id_number in adults:
            think(1, 2)
            given_at = dt.datetime.now(ZONE).strftime("%Y-%m-%dT%H:%M")
            outcome, _ = self.post(
                url,
                "/verification/households/[h]/consents/ (post)",
                {
                    "csrfmiddlewaretoken": CSRF.search(consents).group(1),
                    "id_number": id_number,
                    "method": "online",
                    "given_at": given_at,
                },
                expect=url,
            )
            if outcome != "ok":
                return
            consents = self.page(url, "/verification/households/[h]/consents/", [household])
            if consents is None:
                return
        think()
        worklist = self.page("/cases/", "/cases/", ['data-testid="new-case"'])
        if worklist is None:
            return
        think()
        outcome, location = self.post(
            "/cases/new/",
            "/cases/new/",
            {
                "csrfmiddlewaretoken": CSRF.search(worklist).group(1),
                "household_id": household,
                "channel": "counter",
                "as_of": AS_OF.search(worklist).group(1),
            },
            expect="/cases/",
        )
        if outcome != "ok":
            if outcome == "conflict":
                self.open_households.add(household)
            return
        self.open_households.add(household)
        number = location.rstrip("/").rsplit("/", 1)[1]
        case = self.case_page(number)
        if case is None:
            return
        FLOWS["new case opened"] += 1
        think()
        case = self.step(number, case, "submit")
        if case is not None and random.random() < 0.5:
            think()
            self.step(number, case, "verify")
