import datetime as dt

import pytest

from minzheng.policy.errors import BackendError
from minzheng.verification.lookup import INDEX, Lookup

pytestmark = pytest.mark.lake


def test_the_index_lies_beside_the_parquet(indexed_lake):
    assert (indexed_lake / INDEX).is_file()
    assert not list(indexed_lake.glob(f".{INDEX}.tmp-*"))


def test_a_household_is_found_with_its_members_and_their_feed_lines(lookup):
    hid = lookup._rows("SELECT household_id FROM hukou_households WHERE size = 3 LIMIT 1", [])[0][
        "household_id"
    ]
    found = lookup.household(hid)
    assert found.household["household_id"] == hid
    assert len(found.members) == 3
    ids = {m["id_number"] for m in found.members}
    for table, rows in found.lines.items():
        key = (
            "owner_id_number" if table in ("real_estate", "vehicles", "businesses") else "id_number"
        )
        assert all(r[key] in ids for r in rows), table
        assert all(r["department"] for r in rows), table


def test_every_line_of_a_person_is_found(lookup):
    person = lookup._rows(
        "SELECT id_number FROM si_wages s WHERE EXISTS "
        "(SELECT 1 FROM financial_assets f WHERE f.id_number = s.id_number) LIMIT 1",
        [],
    )[0]["id_number"]
    found = lookup.persons([person])
    assert len(found.lines["si_wages"]) >= 1 and len(found.lines["financial_assets"]) >= 1
    assert lookup.feeds["si_wages"]["snapshot_date"] == dt.date(2020, 12, 31)


def test_an_unknown_household_has_no_members(lookup):
    found = lookup.household("H000000nothing")
    assert found.household is None and found.members == [] and found.lines == {}


def test_a_lake_without_an_index_is_a_clear_error(tmp_path):
    with pytest.raises(BackendError, match="index"):
        Lookup(tmp_path)


def test_an_index_of_an_older_layout_must_be_rebuilt(indexed_lake, tmp_path):
    import shutil

    import duckdb

    old = tmp_path / "lake"
    shutil.copytree(indexed_lake, old)
    con = duckdb.connect(str(old / INDEX))
    con.execute("DROP TABLE index_info")
    con.close()
    with pytest.raises(BackendError) as caught:
        Lookup(old)
    assert caught.value.code == "old_index"


def test_every_feed_is_stored_in_numeric_key_order(lookup):
    """Sorted by the numeric key, so that an equality lookup reads one row group."""
    for table in ("hukou_households", "hukou_persons", "si_wages", "medical_oop", "real_estate"):
        unsorted = lookup.con.execute(
            f"SELECT count(*) FROM (SELECT k, lag(k) OVER (ORDER BY rowid) AS prev FROM {table}) "
            "WHERE k < prev"
        ).fetchall()[0][0]
        assert unsorted == 0, table
        assert lookup.con.execute(f"SELECT count(*) FROM {table} WHERE k IS NULL").fetchall() == [
            (0,)
        ]
