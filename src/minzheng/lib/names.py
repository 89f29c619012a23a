"""Masking of personal names for display (张*, 欧阳**, Li *)."""

from __future__ import annotations

# Two-character Chinese compound surnames (复姓) in common use.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 "
    "端木 独孤 南宫 西门 百里 呼延 闻人 申屠 澹台 公冶 太史 赫连 万俟 单于".split()
)


def mask_name(name: str) -> str:
    """Keep the surname, replace every other character with *; 1-character names become *."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:  # romanised or foreign names: keep the first word
        first, rest = name.split(" ", 1)
        return f"{first} {'*' * len(rest.replace(' ', ''))}"
    if len(name) == 1:
        return "*"
    surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "*" * (len(name) - len(surname))
