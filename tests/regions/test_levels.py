import pytest

from minzheng.regions.levels import Level, level_of_code, parent_code_of
from minzheng.regions.selectors import ancestor_codes


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("330000", Level.PROVINCE, None),
        ("330100", Level.CITY, "330000"),
        ("330102", Level.COUNTY, "330100"),
        ("330102001", Level.TOWNSHIP, "330102"),
        ("330102001002", Level.VILLAGE, "330102001"),
    ],
)
def test_codes_imply_their_level_and_parent(code, level, parent):
    assert level_of_code(code) is level
    assert parent_code_of(code) == parent


@pytest.mark.parametrize("code", ["", "3301", "33010", "3301020011", "33010a", "３３０１０２"])
def test_malformed_codes_are_refused(code):
    with pytest.raises(ValueError, match="region code"):
        level_of_code(code)


def test_ancestor_codes_run_from_the_province_down():
    assert ancestor_codes("330102001002") == ["330000", "330100", "330102", "330102001"]
