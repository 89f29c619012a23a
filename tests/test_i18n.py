import os
import shutil
import subprocess
import sys
from pathlib import Path

import minzheng

PO = Path(minzheng.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(*flags: str, po: Path = PO) -> str:
    result = subprocess.run(
        ["msgattrib", *flags, "--no-obsolete", str(po)], capture_output=True, text=True, check=True
    )
    return result.stdout


def _msgids(output: str) -> list[str]:
    """Entries' msgids, without the catalogue header (whose msgid is empty)."""
    return [
        line for line in output.splitlines() if line.startswith("msgid ") and line != 'msgid ""'
    ]


def test_every_message_has_a_chinese_translation():
    assert _msgids(_entries("--untranslated")) == []
    assert _msgids(_entries("--only-fuzzy")) == []


def test_the_catalogue_is_not_empty():
    assert len(_msgids(_entries("--translated"))) > 50


def test_the_catalogue_holds_every_message_of_the_sources(tmp_path):
    """Collect the messages again from a copy of the sources: a message that the catalogue
    lacks (someone forgot `make messages-update`) would be shown in English."""
    package = Path(minzheng.__file__).parent
    copy = tmp_path / "minzheng"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--settings=minzheng.settings",
        ],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "MINZHENG_VAR_DIR": str(tmp_path / "var")},
        check=True,
        capture_output=True,
    )
    fresh = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    assert _msgids(_entries("--untranslated", po=fresh)) == []
