"""YAML read with the line of every value, so that a rule file's error can name its line
(framework-free)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from minzheng.lib.i18n import gettext_noop


class Mapping(dict):
    """A YAML mapping; `line` is its own line, `lines[key]` the line of each key (1-based)."""

    line: int
    lines: dict[Any, int]


class Sequence(list):
    """A YAML sequence; `line` is its own line, `lines[i]` the line of each item (1-based)."""

    line: int
    lines: list[int]


def _value(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = Mapping()
        out.line, out.lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if key in out:
                raise ValueError(f"line {key_node.start_mark.line + 1}: {key} is given twice")
            out[key] = _value(value_node, loader)
            out.lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Sequence(_value(n, loader) for n in node.value)
        seq.line, seq.lines = node.start_mark.line + 1, [n.start_mark.line + 1 for n in node.value]
        return seq
    return loader.construct_object(node)


def load(path: Path) -> Any:
    """The file's content, mappings and sequences carrying their lines. Raises ValueError
    (with the line) for a duplicate key, yaml.YAMLError for malformed YAML."""
    text = Path(path).read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _value(node, loader)
    finally:
        loader.dispose()


def line_of(container: Any, key: Any) -> int:
    """The line of `key` in a loaded mapping or sequence (its own line when unknown)."""
    lines = getattr(container, "lines", None)
    try:
        return lines[key] if lines is not None else 0
    except (KeyError, IndexError, TypeError):
        return getattr(container, "line", 0)


def read(path: Path, error: type, duplicate: str = "duplicate_key") -> Any:
    """`load`, its failures raised as `error(code, template, file=…, line=…, …)` (a
    TranslatableError of the caller's module): an unreadable file (`bad_file`), malformed YAML
    (`bad_yaml`, at the line where the parser noticed it), a key given twice (`duplicate`)."""
    try:
        return load(path)
    except ValueError as exc:  # a duplicate key: "line N: KEY is given twice"
        text = str(exc)
        line = int(text.split(":", 1)[0].removeprefix("line ")) if text.startswith("line ") else 0
        what = text.split(": ", 1)[-1].removesuffix(" is given twice")
        raise error(
            duplicate,
            gettext_noop("%(file)s line %(line)s: %(what)s is given twice."),
            file=str(path),
            line=line,
            what=what[:80],
        ) from None
    except OSError as exc:
        raise error(
            "bad_file",
            gettext_noop("%(file)s line %(line)s: %(error)s"),
            file=str(path),
            line=0,
            error=exc,
        ) from None
    except yaml.YAMLError as exc:  # its mark has the line
        mark = getattr(exc, "problem_mark", None)
        raise error(
            "bad_yaml",
            gettext_noop("%(file)s line %(line)s: not valid YAML."),
            file=str(path),
            line=mark.line + 1 if mark else 0,
        ) from None
