import pytest
from django.core.exceptions import ValidationError

from minzheng.accounts.services import user_create
from minzheng.accounts.validators import character_classes


@pytest.mark.parametrize(
    ("role", "code"),
    [("caseworker", "330102"), ("approver", "330102001"), ("analyst", "330102")],
)
def test_a_role_must_sit_at_its_level(regions, role, code):
    with pytest.raises(ValidationError) as info:
        user_create(username="u1", password="Good-Pass#2026", role=role, region=regions[code])
    assert "region" in info.value.message_dict


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("caseworker", "330102001"),
        ("caseworker", "330102001001"),
        ("approver", "330102"),
        ("analyst", "330100"),
        ("analyst", "330000"),
        ("data_steward", "330102001"),
        ("administrator", "330000"),
    ],
)
def test_roles_accept_their_levels(regions, role, code):
    user = user_create(username="u1", password="Good-Pass#2026", role=role, region=regions[code])
    assert user.region_id == code
    assert user.is_staff == (role == "administrator")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("Ab1#xyz", "10"), ("abcdefghijkl", "3"), ("abcdefgh1234", "3"), ("ABCDEFGHIJ12", "3")],
)
def test_the_password_policy_refuses_weak_passwords(regions, password, fragment):
    with pytest.raises(ValidationError) as info:
        user_create(username="u1", password=password, role="approver", region=regions["330102"])
    assert any(fragment in m for m in info.value.messages)


def test_ten_characters_of_three_classes_are_enough(regions):
    assert user_create(
        username="u1", password="qwmnbv7#Lk", role="approver", region=regions["330102"]
    )


def test_character_classes_are_counted():
    assert character_classes("abc") == 1
    assert character_classes("aB3") == 3
    assert character_classes("aB3#") == 4
    assert character_classes("密码abc1") == 3  # CJK characters count as symbols


def test_policy_numbers_are_settings(settings):
    assert settings.PASSWORD_MIN_LENGTH == 10
    assert settings.PASSWORD_MIN_CHARACTER_CLASSES == 3
    assert settings.LOGIN_FAILURE_LIMIT == 5
    assert settings.LOGIN_LOCKOUT_MINUTES == 15
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 30
