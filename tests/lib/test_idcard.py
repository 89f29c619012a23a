import datetime as dt

import pytest

from minzheng.lib import idcard
from minzheng.lib.idcard import IdCardError
from minzheng.lib.names import mask_name

TODAY = dt.date(2026, 11, 29)
# 11010519491231002X is the standard's own published example.
STANDARD_EXAMPLE = "11010519491231002X"


def test_it_accepts_the_standards_example_and_parses_it():
    card = idcard.parse(STANDARD_EXAMPLE, today=TODAY)
    assert card.region_code == "110105"
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.sex == "F"


def test_it_normalises_a_lower_case_x_and_spaces():
    assert idcard.parse(" 11010519491231002x ", today=TODAY).number == STANDARD_EXAMPLE


def test_make_builds_numbers_that_parse_back():
    number = idcard.make("330102", dt.date(1980, 2, 29), 137)
    card = idcard.parse(number, today=TODAY)
    assert (card.region_code, card.birth_date, card.sex) == ("330102", dt.date(1980, 2, 29), "M")


def test_age_counts_full_years_and_birthdays():
    card = idcard.parse(idcard.make("330102", dt.date(2010, 11, 29), 2), today=TODAY)
    assert card.age_on(dt.date(2028, 11, 28)) == 17
    assert card.age_on(dt.date(2028, 11, 29)) == 18


@pytest.mark.parametrize(
    ("raw", "code", "named"),
    [
        ("", "empty", None),
        (None, "empty", None),
        (330102198001010011, "not_text", "330102198001010011"),
        ("33010219800101001", "length", "17"),
        ("3301021980010100112", "length", "19"),
        ("33010219800A010011", "characters", "33010219800A010011"),
        ("33010219800101001Y", "check_character", "33010219800101001Y"),
        ("990102198001010011", "region", "990102"),
        ("330102198002300011", "birth_date", "19800230"),
        ("330102203001010011", "birth_future", "2030-01-01"),
        ("330102180001010011", "birth_too_early", "1800-01-01"),
        ("330102198001010012", "checksum", "330102198001010012"),
    ],
)
def test_each_failure_has_its_own_code_and_names_the_value(raw, code, named):
    with pytest.raises(IdCardError) as info:
        idcard.parse(raw, today=TODAY)
    assert info.value.code == code
    if named:
        assert named in str(info.value)


def test_checksum_error_names_the_expected_character():
    valid = idcard.make("330102", dt.date(1980, 1, 1), 1)
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    with pytest.raises(IdCardError) as info:
        idcard.parse(wrong, today=TODAY)
    assert info.value.params["expected"] == valid[17]


def test_errors_are_translated_to_chinese(settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(IdCardError) as info:
        idcard.parse("12345", today=TODAY)
    message = info.value.translated()
    assert "12345" in message and "18" in message and "身份证" in message


def test_mask_keeps_region_code_and_last_two():
    assert idcard.mask("33010219800101001X") == "330102**********1X"
    assert len(idcard.mask("33010219800101001X")) == 18


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳", "欧*"),
        ("李", "*"),
        ("", ""),
        ("Li Wei", "Li ***"),
    ],
)
def test_names_keep_only_the_surname(name, masked):
    assert mask_name(name) == masked


def test_a_full_width_number_parses_to_the_ascii_one():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in STANDARD_EXAMPLE)  # １１０１…Ｘ
    assert idcard.parse(f"\u3000{full_width} ", today=TODAY).number == STANDARD_EXAMPLE


def test_digits_of_other_scripts_are_not_digits():
    arabic_indic = "".join(chr(0x0660 + int(c)) for c in STANDARD_EXAMPLE[:17]) + "X"
    with pytest.raises(IdCardError) as info:
        idcard.parse(arabic_indic, today=TODAY)
    assert info.value.code == "characters"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("9" * 5000, "length", id="5000 characters"),
        pytest.param(10**5000, "not_text", id="an int of 5000 digits"),
        pytest.param([[[["x"]]]] * 3, "not_text", id="nested lists"),
    ],
)
def test_a_huge_value_is_not_echoed_whole(raw, code):
    with pytest.raises(IdCardError) as info:
        idcard.parse(raw, today=TODAY)
    assert info.value.code == code
    assert len(str(info.value)) < 200


def test_a_lone_surrogate_is_echoed_escaped():
    with pytest.raises(IdCardError) as info:
        idcard.parse("11010519491231\ud800X0X", today=TODAY)
    assert info.value.code == "characters"
    str(info.value).encode("utf-8")  # a page showing it can be encoded
