from decimal import Decimal

import pytest
from django.utils import translation

from minzheng.lib.i18n import Msg, TranslatableError, gettext_noop, shown


def test_a_phrase_given_as_a_parameter_is_translated_with_the_message():
    error = TranslatableError(
        "wrong_type",
        gettext_noop("%(field)s = %(value)s: expected %(expected)s."),
        field="homes",
        value='"x"',
        expected=Msg(gettext_noop("a whole number")),
    )
    assert str(error) == 'homes = "x": expected a whole number.'
    with translation.override("zh-hans"):
        assert error.translated() == 'homes = "x"：应为整数。'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (12, "12"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        (Decimal("1200.50"), "1200.50"),
        ("三", '"三"'),
        ([1, {"a": [2]}], '[1, {"a": […]}]'),
        ({"a": 1, "b": 2, "c": 3, "d": 4}, '{"a": 1, "b": 2, "c": 3, …}'),
        ([[[[1]]]], "[[[…]]]"),
        pytest.param(10**5000, "≈10^5000", id="5000 digits"),
        pytest.param(-(10**40), "-≈10^40", id="-10^40"),
        pytest.param("9" * 5000, '"' + "9" * 39 + "…", id="a string of 5000 digits"),
        ("\ud800", '"\\ud800"'),
        (object(), "<object>"),
    ],
)
def test_shown_values_are_short_json_like_and_encodable(value, text):
    assert shown(value) == text


def test_shown_stops_at_a_depth_whatever_the_nesting():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert shown(deep) == "[[[…]]]"
