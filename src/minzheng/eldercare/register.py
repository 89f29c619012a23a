"""The register of older people (老年人信息库): everyone aged 60 or more on the lake's snapshot
date, with living arrangement, special groups and capability grade (framework-free).

It is a table of the lake's lookup index (`older_register`, written by
`verification.lookup.build_index`), sorted by village, so a page of a township or county is
a read of a few row groups. Living arrangement is that of the hukou household: alone (the
only living member), a couple only (two living members, head and spouse), or with family;
people who live elsewhere than their hukou are not told apart (no feed says where people
live). 计划生育特殊家庭 has no feed yet and is not shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LIVING = ("alone", "couple", "family")
GROUPS = ("tekun", "dibao", "dibian", "severe_disability", "age_80")
PAGE_SIZE = 50


def create_sql(snapshot: dt.date) -> str:
    """The statement that writes `older_register` from the index's feed tables."""
    day = f"DATE '{snapshot.isoformat()}'"
    return f"""
CREATE TABLE older_register AS
WITH alive AS (
    SELECT p.* FROM hukou_persons p
    WHERE p.id_number NOT IN (SELECT id_number FROM deaths WHERE death_date <= {day})
), homes AS (
    SELECT household_id, count(*) AS living,
           count(*) FILTER (WHERE relation IN ('head', 'spouse')) AS couple
    FROM alive GROUP BY household_id
), ages AS (
    SELECT *, year({day}) - year(birth_date)
              - CASE WHEN strftime(birth_date, '%m%d') > strftime({day}, '%m%d') THEN 1 ELSE 0 END
              AS age
    FROM alive
), grades AS (
    SELECT id_number, arg_max(grade, assessed_date) AS grade, max(assessed_date) AS assessed
    FROM elderly_capability WHERE assessed_date <= {day} GROUP BY id_number
), supported AS (
    SELECT DISTINCT id_number FROM enrolments WHERE programme = 'tekun'
), assisted AS (  -- 低保 and 低边 are the household's: every member is in the group
    SELECT household_id,
           bool_or(programme = 'dibao') AS dibao,
           bool_or(programme = 'dibian') AS dibian
    FROM enrolments WHERE programme IN ('dibao', 'dibian') GROUP BY household_id
), disabled AS (
    SELECT id_number, min(grade) AS disability_grade FROM disability_certs GROUP BY id_number
)
SELECT a.k, a.id_number, a.name, a.sex, a.birth_date, a.age, a.household_id,
       h.village_code, h.township_code, a.county,
       CASE WHEN m.living = 1 THEN 'alone'
            WHEN m.living = 2 AND m.couple = 2 THEN 'couple'
            ELSE 'family' END AS living,
       t.id_number IS NOT NULL AS tekun,
       coalesce(e.dibao, false) AS dibao,
       coalesce(e.dibian, false) AS dibian,
       coalesce(d.disability_grade BETWEEN 1 AND 2, false) AS severe_disability,
       a.age >= 80 AS age_80,
       g.grade AS capability_grade, g.assessed AS assessed_date
FROM ages a
JOIN hukou_households h ON h.household_id = a.household_id
JOIN homes m ON m.household_id = a.household_id
LEFT JOIN grades g ON g.id_number = a.id_number
LEFT JOIN supported t ON t.id_number = a.id_number
LEFT JOIN assisted e ON e.household_id = a.household_id
LEFT JOIN disabled d ON d.id_number = a.id_number
WHERE a.age >= 60
ORDER BY h.village_code, a.id_number
"""


@dataclass(frozen=True)
class Filters:
    """What a register page selects: a region subtree and, optionally, a living
    arrangement, a special group and a least capability grade."""

    prefix: str
    living: str = ""
    group: str = ""
    min_grade: int | None = None

    def where(self) -> tuple[str, list]:
        clauses, params = ["starts_with(village_code, ?)"], [self.prefix]
        if self.living in LIVING:
            clauses.append("living = ?")
            params.append(self.living)
        if self.group in GROUPS:
            clauses.append(f"{self.group}")  # a column name from GROUPS, never user text
        if self.min_grade is not None:
            clauses.append("capability_grade >= ?")
            params.append(self.min_grade)
        return " AND ".join(clauses), params


def count(con, filters: Filters) -> int:
    where, params = filters.where()
    return con.execute(f"SELECT count(*) FROM older_register WHERE {where}", params).fetchone()[0]


def page(con, filters: Filters, limit: int = PAGE_SIZE, offset: int = 0) -> list[dict]:
    where, params = filters.where()
    cursor = con.execute(
        f"SELECT * EXCLUDE (k) FROM older_register WHERE {where} "
        "ORDER BY village_code, id_number LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
