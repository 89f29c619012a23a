import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from minzheng.conf.env import Env


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u@h/db", "unsupported scheme"),
        ("postgres://u@host:notaport/db", "malformed"),
        ("postgres://u@host:5432", "no database name"),
        ("nonsense", "unsupported scheme"),
    ],
)
def test_a_malformed_database_url_names_the_variable_and_the_problem(url, fragment):
    with pytest.raises(ImproperlyConfigured) as info:
        Env({"DATABASE_URL": url}).database("DATABASE_URL", {})
    assert str(info.value).startswith("DATABASE_URL=") and fragment in str(info.value)


def test_the_password_of_a_bad_url_is_not_shown():
    with pytest.raises(ImproperlyConfigured) as info:
        Env({"DATABASE_URL": "postgres://u:s3cret@host:xx/db"}).database("DATABASE_URL", {})
    assert "s3cret" not in str(info.value) and "***" in str(info.value)


def test_postgres_and_default_sqlite():
    config = Env({"DATABASE_URL": "postgres://me@127.0.0.1:5432/mz"}).database("DATABASE_URL", {})
    assert config["ENGINE"] == "django.db.backends.postgresql" and config["NAME"] == "mz"
    assert Env({}).database("DATABASE_URL", {"ENGINE": "x"}) == {"ENGINE": "x"}


@pytest.mark.parametrize(("method", "value"), [("bool", "maybe"), ("int", "ten"), ("int", "3")])
def test_bad_values_fail_loudly(method, value):
    env = Env({"X": value})
    with pytest.raises(ImproperlyConfigured, match="X='"):
        getattr(env, method)("X", 10, minimum=5) if method == "int" else env.bool("X", False)


def test_good_values_parse():
    env = Env({"B": "yes", "I": " 12 ", "L": "a, b,,c"})
    assert env.bool("B", False) is True and env.int("I", 0) == 12
    assert env.list("L", []) == ["a", "b", "c"] and env.str("S", "d") == "d"


def _manage(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environ.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_variables():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        MINZHENG_DEBUG="false",
        MINZHENG_HTTPS="true",
        MINZHENG_SECRET_KEY="k" * 20 + "-Production-Secret-Key-0123456789-abcdefghij",
        MINZHENG_ALLOWED_HOSTS="mz.example.gov.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_complains_without_https():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", MINZHENG_HTTPS="false")
    assert result.returncode != 0 and "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_a_malformed_database_url_stops_django_with_a_clear_message():
    result = _manage("check", DATABASE_URL="postgres://u@host:bad/db")
    assert result.returncode != 0
    assert "DATABASE_URL='postgres://u@host:bad/db': malformed" in result.stderr
