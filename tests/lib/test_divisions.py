import pytest

from minzheng.lib import divisions


def test_it_reads_the_province_its_cities_and_counties():
    assert len(divisions.codes("province")) == 1
    assert len(divisions.codes("city")) == 11
    assert len(divisions.codes("county")) == 90


def test_every_county_belongs_to_a_shipped_city():
    cities = set(divisions.codes("city"))
    orphans = [
        c for c in divisions.codes("county") if divisions.divisions()[c].parent_code not in cities
    ]
    assert orphans == []


def test_a_city_is_named_in_chinese():
    assert divisions.name_of("330100") == "杭州市"


def test_a_label_gives_the_name_then_the_code():
    assert divisions.labelled("330102") == "上城区 330102"


def test_an_unknown_code_is_shown_as_it_is():
    assert divisions.labelled("999900") == "999900"


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="township"):
        divisions.codes("township")
