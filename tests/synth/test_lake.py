import hashlib
import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from minzheng.lib.idcard import parse
from minzheng.synth import lake as lake_module
from minzheng.synth.lake import MARKER, SynthError, build_lake, is_lake, read_manifest
from minzheng.synth.report import calibration_report, connect

pytestmark = pytest.mark.lake


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_same_scale_and_seed_give_the_same_bytes(tmp_path, small_lake):
    again = tmp_path / "again"
    build_lake(scale=0.001, seed=7, out=again, workers=1)  # other worker count, same bytes
    assert _digest(again) == _digest(small_lake)


def test_another_seed_gives_another_lake(tmp_path, small_lake):
    other = tmp_path / "other"
    build_lake(scale=0.001, seed=8, out=other, workers=2)
    a, b = _digest(other), _digest(small_lake)
    assert a.keys() == b.keys() and a != b


def test_every_table_is_hive_partitioned_by_county_and_listed(small_lake):
    manifest = read_manifest(small_lake)
    assert manifest["counties"] == 90 and 60000 < manifest["persons"] < 70000
    for name, info in manifest["tables"].items():
        parts = sorted((small_lake / name).glob("county=*/part-0.parquet"))
        assert len(parts) == 90, name
        assert sum(pq.read_metadata(p).num_rows for p in parts) == info["rows"], name
    assert "planted_errors" not in manifest["tables"]
    assert (small_lake / "truth" / "planted_errors").is_dir()


def test_duckdb_reads_the_lake_as_it_is(small_lake):
    con = duckdb.connect()
    pattern = str(small_lake / "hukou_persons" / "*" / "*.parquet")
    rows = con.execute(
        f"SELECT county, count(*) FROM read_parquet('{pattern}', hive_partitioning=true) "
        "GROUP BY county ORDER BY county LIMIT 1"
    ).fetchall()
    assert rows[0][0] == 330102 and rows[0][1] > 0


def test_id_numbers_are_valid_unique_and_agree_with_birth_and_sex(small_lake):
    con = connect(small_lake)
    rows = con.execute("SELECT id_number, birth_date, sex FROM hukou_persons").fetchall()
    assert len({r[0] for r in rows}) == len(rows)
    for number, birth, sex in rows[::50]:
        card = parse(number)
        assert card.birth_date == birth and card.sex == sex


def test_households_are_consistent(small_lake):
    con = connect(small_lake)
    bad_size = con.execute(
        "SELECT count(*) FROM hukou_households h JOIN (SELECT household_id, count(*) n, "
        "sum(CASE WHEN relation = 'head' THEN 1 ELSE 0 END) heads FROM hukou_persons "
        "GROUP BY household_id) p USING (household_id) WHERE p.n <> h.size OR p.heads <> 1"
    ).fetchone()[0]
    assert bad_size == 0
    orphans = con.execute(
        "SELECT count(*) FROM hukou_persons p ANTI JOIN hukou_households h USING (household_id)"
    ).fetchone()[0]
    assert orphans == 0
    wrong_county = con.execute(
        "SELECT count(*) FROM hukou_households WHERE substr(village_code, 1, 6) <> county"
    ).fetchone()[0]
    assert wrong_county == 0


def test_feeds_name_their_department_and_snapshot(small_lake):
    con = connect(small_lake)
    manifest = read_manifest(small_lake)
    for name, info in manifest["tables"].items():
        departments = con.execute(f"SELECT DISTINCT department FROM {name}").fetchall()
        dates = con.execute(f"SELECT DISTINCT snapshot_date FROM {name}").fetchall()
        if info["rows"]:
            assert departments == [(info["department"],)], name
            assert [str(d[0]) for d in dates] == [manifest["snapshot_date"]], name


def test_planted_errors_are_in_the_enrolments_as_stated(small_lake):
    con = connect(small_lake)
    truth = str(small_lake / "truth" / "planted_errors" / "*" / "*.parquet")
    con.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{truth}')")
    stale_not_enrolled = con.execute(
        "SELECT count(*) FROM truth t WHERE programme = 'dibao' AND kind = 'enrolled_ineligible' "
        "AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.household_id = t.household_id "
        "AND e.programme = 'dibao')"
    ).fetchone()[0]
    missed_enrolled = con.execute(
        "SELECT count(*) FROM truth t WHERE programme = 'dibao' AND kind = 'eligible_not_enrolled' "
        "AND EXISTS (SELECT 1 FROM enrolments e WHERE e.household_id = t.household_id "
        "AND e.programme = 'dibao')"
    ).fetchone()[0]
    kinds = dict(con.execute("SELECT kind, count(*) FROM truth GROUP BY kind").fetchall())
    assert stale_not_enrolled == 0 and missed_enrolled == 0
    assert kinds["enrolled_ineligible"] > 0 and kinds["eligible_not_enrolled"] > 0


def test_the_regions_file_has_the_provinces_townships_and_villages(small_lake):
    import csv

    with (small_lake / "regions" / "subcounty.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    towns = [r for r in rows if r["level"] == "township"]
    villages = [r for r in rows if r["level"] == "village"]
    assert len(towns) == 1360 and len(villages) == 20000
    assert all(r["code"].startswith(r["parent_code"]) for r in rows)
    assert len({r["code"] for r in rows}) == len(rows)


@pytest.mark.parametrize("scale", [0, -1, 0.00001, 5, float("nan")])
def test_absurd_scales_are_refused(tmp_path, scale):
    with pytest.raises(SynthError, match="--scale"):
        build_lake(scale=scale, seed=1, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_folder_that_is_not_a_lake_is_not_overwritten(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "keep.txt").write_text("important")
    with pytest.raises(SynthError, match="not a lake"):
        build_lake(scale=0.0001, seed=1, out=folder, workers=1)
    assert (folder / "keep.txt").read_text() == "important"
    build_lake(scale=0.0001, seed=1, out=folder, workers=1, force=True)
    assert is_lake(folder) and not (folder / "keep.txt").exists()


def test_an_existing_lake_is_replaced(tmp_path):
    folder = tmp_path / "lake"
    build_lake(scale=0.0001, seed=1, out=folder, workers=1)
    build_lake(scale=0.0001, seed=2, out=folder, workers=1)
    assert read_manifest(folder)["seed"] == 2


def test_an_unwritable_path_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SynthError, match="cannot write"):
        build_lake(scale=0.0001, seed=1, out=blocker / "lake", workers=1)


def test_an_interrupted_run_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = lake_module._county_job

    def crash_on_the_fifth(job):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(lake_module, "_county_job", crash_on_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        build_lake(scale=0.0001, seed=1, out=tmp_path / "lake", workers=1)
    assert list(tmp_path.iterdir()) == []


def test_the_calibration_report_passes_at_scale_0_01(tmp_path):
    out = tmp_path / "lake"
    build_lake(scale=0.01, seed=1, out=out, workers=2)
    _manifest, rows = calibration_report(out)
    failed = [(r.name, r.expected, r.achieved) for r in rows if not r.ok]
    assert failed == []
    assert len(rows) >= 16


def test_the_manifest_has_no_run_dependent_values(small_lake):
    text = (small_lake / MARKER).read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert set(manifest) == {
        "format",
        "version",
        "generator",
        "scale",
        "seed",
        "snapshot_date",
        "persons",
        "counties",
        "partitioning",
        "tables",
        "truth",
    }


def test_every_table_and_column_is_documented(small_lake):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "data" / "lake.md").read_text(
        encoding="utf-8"
    )
    sections = dict(re.findall(r"^### (\w+)\n(.*?)(?=^### |\Z)", doc, re.M | re.S))
    folders = [p for p in small_lake.iterdir() if p.is_dir() and p.name != "regions"]
    folders += [p for p in (small_lake / "truth").iterdir()]
    missing = []
    for folder in folders:
        if folder.name == "truth":
            continue
        schema = pq.read_schema(next(folder.glob("*/part-0.parquet")))
        text = sections.get(folder.name, "")
        missing += [f"{folder.name}.{c}" for c in schema.names if f"`{c}`" not in text]
    assert missing == []
