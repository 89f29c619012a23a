"""The report as a reader sees it: every code translated, every value formatted (the page,
the PDF and the CLI show the same thing)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from minzheng.verification import labels


def notice_text(notice: dict) -> str:
    """A notice in the reader's language, feeds named by their labels."""
    params = dict(notice["params"])
    if "feed" in params:
        params["feed"] = str(labels.FEEDS.get(params["feed"], params["feed"]))
    if "feeds" in params:
        params["feeds"] = "、".join(
            str(labels.FEEDS.get(f, f)) for f in params["feeds"].split(", ")
        )
    return _(notice["template"]) % params


def _line_items(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(labels.COLUMNS.get(k, k)), labels.value_text(v, k)) for k, v in values.items()]


def _programme_rows(decision: dict) -> list[dict]:
    found = decision["found"]["programmes"]
    declared = (decision.get("declared") or {}).get("programmes", {})
    changed = {c["programme"] for c in decision.get("changes", [])}
    rows = []
    for name, f in found.items():
        d = declared.get(name)

        def describe(r: dict | None) -> str:
            if r is None:
                return "—"
            status = labels.value_text(r.get("status"))
            amount = r.get("monthly_amount") or r.get("one_off_amount")
            return f"{status}（{amount}）" if amount and amount != "0.00" else status

        rows.append(
            {
                "name": name,
                "label": f["label"],
                "declared": describe(d),
                "found": describe(f),
                "changed": name in changed,
            }
        )
    return rows


def present(report: dict) -> dict:
    """A copy of the report with the texts a reader needs."""
    out = dict(report)
    out["notice_texts"] = [
        {"level": n["level"], "code": n["code"], "text": notice_text(n)} for n in report["notices"]
    ]
    out["feed_rows"] = [
        {"feed": name, "label": str(labels.FEEDS.get(name, name))} | meta
        for name, meta in report["feeds"].items()
    ]
    members = []
    for m in report["members"]:
        member = dict(m)
        member["relation_text"] = labels.value_text(m["relation"])
        member["line_rows"] = [
            {
                "feed": line["feed"],
                "label": str(labels.FEEDS.get(line["feed"], line["feed"])),
                "department": line["department"],
                "snapshot_date": line["snapshot_date"],
                "stale": line["stale"],
                "items": _line_items(line["values"]),
            }
            for line in m["lines"]
        ]
        member["flagged"] = [c for c in m["comparisons"] if c["flagged"]]
        members.append(member)
    out["members"] = members
    out["programme_rows"] = _programme_rows(report["decision"])
    out["decisive_rows"] = [
        {
            "label": d["label"],
            "changes": "、".join(
                report["decision"]["found"]["programmes"][p]["label"] for p in d["changes"]
            )
            or _("no programme's outcome"),
        }
        for d in report["decision"].get("decisive", [])
    ]
    out["has_declaration"] = "declared" in report["decision"]
    return out
