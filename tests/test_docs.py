"""Documentation keeps up with the code: every setting and every command is described."""

import re
from pathlib import Path

from typer.main import get_command

from minzheng.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_documented():
    settings = (ROOT / "src/minzheng/settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"((?:MINZHENG_|DATABASE_URL)[A-Z_]*)"', settings))
    documented = (ROOT / "docs/settings.md").read_text(encoding="utf-8")
    assert names, "no variables found: the pattern is out of date"
    assert sorted(n for n in names if f"`{n}`" not in documented) == []


def _commands(group, prefix=""):
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None):
            if getattr(command, "invoke_without_command", False):
                yield f"{prefix}{name} --"  # the group runs on its own, with options
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_cli_command_is_documented():
    documented = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    commands = list(_commands(get_command(app)))
    assert len(commands) >= 5
    assert [c for c in commands if f"`minzheng {c}" not in documented] == []
