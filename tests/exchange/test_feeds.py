"""One declaration of the feeds drives the generator, the engine, the verification lookup,
its labels and masking, and the docs: each fails here when it names an undeclared feed or
column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from minzheng.exchange import feeds as declared
from minzheng.exchange.feeds import (
    ENGINE_FEEDS,
    FEEDS,
    LOOKUP_FEEDS,
    TYPES,
    arrow_schema,
    render_docs,
)
from minzheng.policy import lake as policy_lake

ROOT = Path(__file__).resolve().parents[2]


def declared_schema(name: str) -> pa.Schema:
    return arrow_schema(FEEDS[name])


@pytest.mark.lake
def test_the_generator_writes_every_feed_as_declared(small_lake):
    written = sorted(
        p.name for p in small_lake.iterdir() if p.is_dir() and p.name not in ("truth", "regions")
    )
    assert written == sorted(FEEDS)
    for name in FEEDS:
        schema = ds.dataset(small_lake / name, format="parquet").schema
        expected = declared_schema(name).remove(declared_schema(name).get_field_index("county"))
        assert schema.equals(expected), name


@pytest.mark.lake
def test_the_generator_writes_only_declared_codes(small_lake):
    import duckdb

    for feed in FEEDS.values():
        for column in feed.columns:
            if column.codes is None:
                continue
            values = {
                v
                for (v,) in duckdb.sql(
                    f"SELECT DISTINCT {column.name} FROM "
                    f"read_parquet('{small_lake / feed.name}/*/*.parquet')"
                ).fetchall()
            }
            assert values <= set(column.codes), (feed.name, column.name, values)


def test_the_engine_reads_only_declared_feeds_and_columns():
    assert set(policy_lake.DERIVATIONS) | set(policy_lake.FRAME_FEEDS) == set(ENGINE_FEEDS)
    # Empty tables with exactly the declared columns: an undeclared column is an error here.
    tables = {
        name: ibis.memtable(pa.Table.from_pylist([], declared_schema(name)))
        for name in ENGINE_FEEDS
    }
    persons, households = policy_lake.lake_inputs(tables, dt.date(2020, 12, 31))
    assert "person_id" in persons.columns and "enrolled_dibao" in households.columns
    assert ibis.duckdb.connect().execute(persons).empty


def test_the_lookup_keys_are_declared_columns():
    from minzheng.verification.lookup import KEYS

    assert list(KEYS) == list(LOOKUP_FEEDS)
    for name, key in KEYS.items():
        assert key in FEEDS[name].column_names
    assert set(ENGINE_FEEDS) <= set(LOOKUP_FEEDS)


def test_labels_come_from_the_declaration():
    from minzheng.verification import labels

    assert set(labels.FEEDS) == set(FEEDS)
    for name in LOOKUP_FEEDS:
        for column in FEEDS[name].all_columns:
            assert labels.COLUMNS[column.name] == column.label, (name, column.name)


def test_a_column_name_means_the_same_codes_in_every_feed():
    meaning: dict[tuple[str, str], object] = {}
    for feed in FEEDS.values():
        for column in feed.all_columns:
            for code, label in (column.codes or {}).items():
                assert meaning.setdefault((column.name, code), label) == label, (
                    feed.name,
                    column.name,
                    code,
                )


def test_every_type_has_its_storage_in_arrow_and_duckdb():
    assert set(declared.DUCKDB_TYPES) == set(TYPES)
    for feed in FEEDS.values():
        assert len(arrow_schema(feed)) == len(feed.all_columns)


def test_every_feed_declares_its_key_and_subject_among_its_columns():
    for feed in FEEDS.values():
        assert feed.subject in feed.column_names
        assert set(feed.key) <= set(feed.column_names), feed.name
        assert len(set(feed.column_names)) == len(feed.column_names), feed.name


def test_masking_follows_the_declaration():
    assert declared.mask_value("id", "330102199001011234") == "330102**********34"
    assert declared.mask_value("name", "欧阳娜娜") == "欧阳**"
    assert declared.mask_value("date", dt.date(1990, 5, 1)) == "1990-**-**"
    assert declared.mask_value("code", "浙A12345") == "浙A12****"
    assert declared.mask_value(None, "浙A12345") == "浙A12345"
    # Every identifying column a report line can show is masked.
    for name in LOOKUP_FEEDS:
        for column in FEEDS[name].columns:
            if column.name in ("plate", "cert_no", "property_id", "employer_code"):
                assert column.mask == "code", (name, column.name)


def test_the_feed_docs_are_generated_from_the_declaration():
    committed = (ROOT / "docs/data/feeds.md").read_text(encoding="utf-8")
    assert committed == render_docs(), "run `minzheng feed docs > docs/data/feeds.md`"
