import subprocess
from pathlib import Path

import minzheng

PO = Path(minzheng.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(*flags: str) -> str:
    result = subprocess.run(
        ["msgattrib", *flags, "--no-obsolete", str(PO)], capture_output=True, text=True, check=True
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
