"""The YAML reader with lines: its failures raised as the caller's error, naming the file and
the line."""

from __future__ import annotations

import pytest

from minzheng.lib import yamllines
from minzheng.lib.i18n import TranslatableError


class FileError(TranslatableError):
    pass


def test_values_carry_their_lines(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("name: a\nrules:\n  - x: 1\n  - y: 2\n", encoding="utf-8")
    data = yamllines.read(path, FileError)
    assert data == {"name": "a", "rules": [{"x": 1}, {"y": 2}]}
    assert yamllines.line_of(data, "rules") == 2
    assert yamllines.line_of(data["rules"], 1) == 4


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: 1\nb: [2\n", "bad_yaml", 3),  # where the parser notices the missing bracket
        ("a: 1\nrules:\n  b: 2\n  b: 3\n", "duplicate_key", 4),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path, text, code, line):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileError) as caught:
        yamllines.read(path, FileError)
    assert caught.value.code == code
    assert caught.value.params["line"] == line and caught.value.params["file"] == str(path)


def test_a_missing_file_and_the_caller_s_code_for_duplicates(tmp_path):
    with pytest.raises(FileError) as caught:
        yamllines.read(tmp_path / "none.yaml", FileError)
    assert caught.value.code == "bad_file" and "none.yaml" in str(caught.value.params["error"])
    path = tmp_path / "twice.yaml"
    path.write_text("x: 1\nx: 2\n", encoding="utf-8")
    with pytest.raises(FileError) as caught:
        yamllines.read(path, FileError, duplicate="duplicate_override")
    assert caught.value.code == "duplicate_override" and caught.value.params["what"] == "x"
