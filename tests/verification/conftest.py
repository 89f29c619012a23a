"""Households of the synthetic lake for the three personas."""

from __future__ import annotations

import datetime as dt

from minzheng.verification.lookup import Lookup

AS_OF = dt.date(2020, 12, 31)


def household_in(lookup: Lookup, township: str, adults: int = 2, where: str = "") -> str:
    """A household of the township with at least `adults` members aged 18+ and alive."""
    return lookup._rows(
        "SELECT h.household_id FROM hukou_households h JOIN hukou_persons p USING (household_id) "
        "WHERE h.township_code = ? AND p.birth_date <= DATE '2002-12-31' "
        "AND p.id_number NOT IN (SELECT id_number FROM deaths) " + where + " "
        "GROUP BY h.household_id HAVING count(*) >= ? ORDER BY h.household_id LIMIT 1",
        [township, adults],
    )[0]["household_id"]
