from pathlib import Path

import pytest

from minzheng.regions.models import Region
from minzheng.regions.services import RegionFileError, regions_load_divisions, regions_load_file

HEADER = "code,name,parent_code,level,urban_rural,lon,lat\n"


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "sub.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.fixture
def divisions(db):
    regions_load_divisions()


def _errors(path: Path) -> list:
    with pytest.raises(RegionFileError) as info:
        regions_load_file(path=path)
    return info.value.errors


def test_it_loads_townships_and_villages_under_their_parents(divisions, tmp_path):
    path = _write(
        tmp_path,
        "330106001001,文新社区,330106001,village,urban,120.1,30.2\n"  # child before parent
        "330106001,西溪街道,330106,township,urban,,\n",
    )
    report = regions_load_file(path=path)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    village = Region.objects.get(code="330106001001")
    assert village.parent_id == "330106001" and village.urban_rural == "urban"
    assert village.lon == pytest.approx(120.1)


def test_loading_the_same_file_twice_changes_nothing(divisions, tmp_path):
    path = _write(tmp_path, "330106001,西溪街道,330106,township,urban,,\n")
    regions_load_file(path=path)
    report = regions_load_file(path=path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Region.objects.filter(code__startswith="330106001").count() == 1


def test_a_changed_name_is_updated(divisions, tmp_path):
    regions_load_file(path=_write(tmp_path, "330106001,西溪街道,,,,,\n"))
    report = regions_load_file(path=_write(tmp_path, "330106001,西溪新街道,,,,,\n"))
    assert report.updated == 1
    assert Region.objects.get(code="330106001").name == "西溪新街道"


def test_a_township_whose_prefix_is_not_its_county_is_refused(divisions, tmp_path):
    errors = _errors(_write(tmp_path, "330106001,西溪街道,330102,township,,,\n"))
    assert [(e.row, e.field, e.value) for e in errors] == [(2, "parent_code", "330102")]
    assert "330106" in errors[0].message
    assert not Region.objects.filter(code="330106001").exists()


def test_an_unknown_parent_is_refused(divisions, tmp_path):
    errors = _errors(_write(tmp_path, "339999001,无名街道,,,,,\n"))
    assert errors[0].field == "code" and "339999" in errors[0].message


def test_a_village_without_its_township_is_refused(divisions, tmp_path):
    errors = _errors(_write(tmp_path, "330106001001,文新社区,,,,,\n"))
    assert "330106001" in errors[0].message


def test_duplicates_are_refused_with_both_rows(divisions, tmp_path):
    errors = _errors(_write(tmp_path, "330106001,西溪街道,,,,,\n330106001,西溪街道,,,,,\n"))
    assert errors[0].row == 3 and "2" in errors[0].message


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        ("33010600,坏代码,,,,,", "code", "33010600"),
        ("330106,西湖区,,,,,", "code", "330106"),  # county codes are not loaded from files
        ("330106001,,,,,,", "name", ""),
        ("330106001,西溪街道,,village,,,", "level", "village"),
        ("330106001,西溪街道,,,suburb,,", "urban_rural", "suburb"),
        ("330106001,西溪街道,,,,east,", "lon", "east"),
        ("330106001,西溪街道,,,,120,95", "lat", "95"),
    ],
)
def test_each_bad_field_is_named_with_its_value(divisions, tmp_path, row, field, value):
    errors = _errors(_write(tmp_path, row + "\n"))
    assert (errors[0].row, errors[0].field, errors[0].value) == (2, field, value)


def test_one_bad_row_loads_nothing(divisions, tmp_path):
    _errors(_write(tmp_path, "330106001,西溪街道,,,,,\n330106002,,,,,,\n"))
    assert not Region.objects.filter(level="township").exists()


def test_a_file_without_the_required_columns_is_refused(divisions, tmp_path):
    errors = _errors(_write(tmp_path, "330106001\n", header="code\n"))
    assert errors[0].field == "header" and "name" in errors[0].message


def test_error_messages_are_chinese(divisions, tmp_path):
    with pytest.raises(RegionFileError) as info:
        regions_load_file(path=_write(tmp_path, "339999001,无名街道,,,,,\n"))
    assert "339999" in str(info.value) and "上级" in str(info.value)
