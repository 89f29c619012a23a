"""Every coded value a report shows reaches the reader as Chinese: no `junior`, `dibao` or
`de_facto_unsupported` on a page or in a PDF."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from minzheng.policy import household
from minzheng.verification import labels, services
from minzheng.verification.lookup import KEYS
from minzheng.verification.present import present
from minzheng.verification.report import HIDDEN, build_report

from .conftest import AS_OF

# A run of three or more Latin letters is an English word or a code left untranslated;
# plates (浙A…), masked certificate numbers, ID numbers and amounts have none.
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
# A text column with at most this many values in the province is a code, not a name.
CODED = 60


def coded_values(lookup) -> dict[tuple[str, str], list[str]]:
    """(feed, column) → the values of every coded text column a report line shows."""
    found = {}
    for table in KEYS:
        if table == "hukou_households":
            continue  # the household, not a member's line: not shown as a line
        columns = lookup._rows(f"DESCRIBE {table}", [])
        for column in columns:
            name = column["column_name"]
            if name in HIDDEN or column["column_type"] != "VARCHAR":
                continue
            values = lookup._rows(
                f"SELECT DISTINCT {name} AS v FROM {table} WHERE {name} IS NOT NULL "
                f"AND {name} <> '' LIMIT {CODED + 1}",
                [],
            )
            if len(values) <= CODED:
                found[(table, name)] = sorted(v["v"] for v in values)
    return found


def households_showing_every_value(lookup) -> list[str]:
    """For each coded value of each feed, one household with a member whose line shows it."""
    homes = set()
    for (table, column), values in coded_values(lookup).items():
        key = KEYS[table]
        for value in values:
            row = lookup._rows(
                f"SELECT min(p.household_id) AS h FROM {table} t "
                f"JOIN hukou_persons p ON p.id_number = t.{key} WHERE t.{column} = ?",
                [value],
            )
            if row[0]["h"]:
                homes.add(row[0]["h"])
    return sorted(homes)


def shown_values(view: dict) -> list[str]:
    """Every text of a presented report that a reader sees: labels and values."""
    out = []
    for member in view["members"]:
        out.append(member["relation_text"] or "")
        out += [c["label"] for c in member["comparisons"]]
        for line in member["line_rows"]:
            out += [line["label"], line["department"]]
            out += [f"{column}：{value}" for column, value in line["items"]]
    out += [t["label"] for t in view["totals"]]
    out += [f["label"] for f in view["feed_rows"]]
    out += [row["label"] for row in view["programme_rows"]]
    for row in view["programme_rows"]:
        out += [row["declared"], row["found"]]
    out += [row["changes"] for row in view["decisive_rows"]]
    out += [n["text"] for n in view["notice_texts"]]
    return out


@pytest.mark.parametrize(
    "codes",
    [household.RELATIONS, household.STATUSES, household.KINDS, household.PARENT_STATUSES],
    ids=["relations", "statuses", "disability-kinds", "parent-statuses"],
)
def test_every_code_a_household_file_may_hold_has_a_label(codes):
    assert sorted(c for c in codes if ASCII_WORD.search(labels.value_text(c))) == []


def test_every_coded_value_of_the_lake_has_a_label(lookup):
    missing = {
        (table, column, value)
        for (table, column), values in coded_values(lookup).items()
        for value in values
        if ASCII_WORD.search(labels.value_text(value, column))
    }
    assert missing == set()


@pytest.mark.django_db
def test_a_report_shows_no_english_word_in_its_values(verify_settings, lookup):
    source = services.lake()
    homes = households_showing_every_value(lookup)
    assert len(homes) >= 10
    untranslated = {}
    for home in homes:
        report = build_report(
            source.lookup,
            source.explainer,
            home,
            AS_OF,
            settings=services.check_settings(),
            today=timezone.localdate(),
        )
        for value in shown_values(present(services.masked(report))):
            for word in ASCII_WORD.findall(value):
                untranslated.setdefault(word, home)
    assert not untranslated, f"untranslated: {sorted(untranslated.items())}"
