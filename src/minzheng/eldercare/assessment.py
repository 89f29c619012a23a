"""The older people's capability assessment of GB/T 42195-2022 《老年人能力评估规范》
(framework-free).

The standard scores 26 second-level items under four first-level indicators (自理能力,
基础运动能力, 精神状态, 感知觉与社会参与): each item is one of its options' scores, the total
(0–90) falls in one of five grade bands (0 能力完好 … 4 能力完全丧失（完全失能）), the preliminary
grade. The grounds of its Annex C, C.4 then change it: coma fixes the grade, a diagnosis or
repeated care-risk events raise it (never beyond the last grade). A higher grade is a greater
loss of ability, so a lower score never gives a better grade.

All of it is data, in `assessment.yaml`, with the source of every figure and what could not be
confirmed from a public text (`confirmed: false`, listed in `Assessment.unconfirmed`). A file
that cannot be used is refused with its file and line (`AssessmentError`): indicator maxima
that are not the sum of their items' maxima, a total maximum that is not the sum of the
indicators', grade bands with gaps or overlaps, an unknown source, kind or effect.

`grade(answers, adjustments)` refuses bad input with a message naming the field
(`GradeError.field`): a missing or unknown item, a score that is not one of the item's options,
an unknown adjustment or event, a flag that is not true or false, a count that is not a whole
number.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minzheng.lib import yamllines
from minzheng.lib.i18n import TranslatableError, gettext_noop, shorten, shown

ASSESSMENT_FILE = Path(__file__).with_name("assessment.yaml")
KINDS = ("flag", "counts")
EFFECTS = ("set_grade", "raise")
COMBINE = ("once", "add")


class AssessmentError(TranslatableError):
    """An assessment file that cannot be used: the message names the file and the line."""


class GradeError(TranslatableError):
    """Answers or adjustments refused: the message names the field, also in `field`."""

    def __init__(self, code: str, template: str, **params: Any) -> None:
        super().__init__(code, template, **params)
        self.field = str(params.get("field", ""))


@dataclass(frozen=True)
class Option:
    score: int
    wording: str
    confirmed: bool = True


@dataclass(frozen=True)
class Item:
    code: str  # the standard's number, B.1.1 … B.4.5
    name: str
    indicator: str
    description: str
    options: tuple[Option, ...]
    source: tuple[str, ...]
    confirmed: bool = True

    @property
    def scores(self) -> tuple[int, ...]:
        return tuple(sorted(o.score for o in self.options))

    @property
    def maximum(self) -> int:
        return max(o.score for o in self.options)


@dataclass(frozen=True)
class Indicator:
    code: str  # B.1 … B.4
    name: str
    maximum: int
    items: tuple[Item, ...]
    source: tuple[str, ...]
    confirmed: bool = True


@dataclass(frozen=True)
class Band:
    grade: int
    name: str
    low: int
    high: int
    source: tuple[str, ...]
    confirmed: bool = True


@dataclass(frozen=True)
class Adjustment:
    code: str
    kind: str  # "flag": true or false; "counts": the number of events of each kind
    effect: str  # "set_grade": the final grade is `grade`; "raise": `by` grades more
    wording: str
    source: tuple[str, ...]
    grade: int = 0
    by: int = 0
    threshold: int = 1  # counts: the events, all kinds together, that make it apply
    events: tuple[tuple[str, str], ...] = ()  # counts: (code, wording) of each kind
    confirmed: bool = True

    def applies(self, value: Any) -> bool:
        """Whether the (checked) value given for this adjustment makes it apply."""
        if value is None:
            return False
        if self.kind == "flag":
            return value is True
        return sum(value.values()) >= self.threshold


@dataclass(frozen=True)
class Result:
    total: int
    by_indicator: dict[str, int]  # indicator code → its score
    preliminary_grade: int  # the band of the total
    grade: int  # after the adjustments
    reasons: tuple[str, ...]  # the adjustments that applied, in the file's order


@dataclass(frozen=True)
class Assessment:
    standard: str
    indicators: tuple[Indicator, ...]
    bands: tuple[Band, ...]  # grade 0 first
    adjustments: tuple[Adjustment, ...]
    combine: str  # how several raises combine: "once" (the largest) or "add"
    total_maximum: int
    sources: dict[str, str]
    unconfirmed: tuple[str, ...]  # where the file says `confirmed: false`
    file: str = ""

    @functools.cached_property
    def items(self) -> dict[str, Item]:
        return {item.code: item for ind in self.indicators for item in ind.items}

    def band(self, total: int) -> Band:
        """The grade band of a total score."""
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"no grade band holds the total {total}")

    def grade(self, answers: Any, adjustments: Any = None) -> Result:
        """The scores by indicator, the total, the preliminary and final grades of one
        assessment: `answers` maps every item code to one of its scores, `adjustments` an
        adjustment code to its value (a flag's true or false, a mapping of event counts)."""
        scores = self._checked_answers(answers)
        values = self._checked_adjustments({} if adjustments is None else adjustments)
        by_indicator = {
            ind.code: sum(scores[item.code] for item in ind.items) for ind in self.indicators
        }
        total = sum(by_indicator.values())
        preliminary = self.band(total).grade
        reasons: list[str] = []
        raises: list[int] = []
        fixed: int | None = None
        for adj in self.adjustments:
            if not adj.applies(values.get(adj.code)):
                continue
            reasons.append(adj.code)
            if adj.effect == "set_grade":
                fixed = adj.grade if fixed is None else max(fixed, adj.grade)
            else:
                raises.append(adj.by)
        final = preliminary
        if raises:
            step = max(raises) if self.combine == "once" else sum(raises)
            final = min(self.bands[-1].grade, preliminary + step)
        if fixed is not None:
            final = fixed
        return Result(total, by_indicator, preliminary, final, tuple(reasons))

    def _checked_answers(self, answers: Any) -> dict[str, int]:
        if not isinstance(answers, Mapping):
            raise GradeError(
                "answers_not_mapping",
                gettext_noop("%(field)s must be a mapping of item codes to scores."),
                field="answers",
            )
        items = self.items
        for code, score in answers.items():
            field = f"answers[{_key(code)}]"
            item = items.get(code) if isinstance(code, str) else None
            if item is None:
                raise GradeError(
                    "unknown_item",
                    gettext_noop("%(field)s: there is no such item in %(standard)s."),
                    field=field,
                    standard=self.standard,
                )
            if isinstance(score, bool) or not isinstance(score, int) or score not in item.scores:
                raise GradeError(
                    "bad_score",
                    gettext_noop(
                        "%(field)s: %(value)s is not a score of %(name)s (its scores are %(allowed)s)."
                    ),
                    field=field,
                    value=shown(score),
                    name=item.name,
                    allowed=", ".join(str(s) for s in item.scores),
                )
        missing = [code for code in items if code not in answers]
        if missing:
            raise GradeError(
                "item_missing",
                gettext_noop(
                    "%(field)s (%(name)s) is missing: every one of the %(count)s items needs a score."
                ),
                field=f"answers[{missing[0]}]",
                name=items[missing[0]].name,
                count=len(items),
                missing=", ".join(missing),
            )
        return dict(answers)

    def _checked_adjustments(self, adjustments: Any) -> dict[str, Any]:
        if not isinstance(adjustments, Mapping):
            raise GradeError(
                "adjustments_not_mapping",
                gettext_noop("%(field)s must be a mapping of adjustment codes to values."),
                field="adjustments",
            )
        known = {adj.code: adj for adj in self.adjustments}
        values: dict[str, Any] = {}
        for code, value in adjustments.items():
            field = f"adjustments[{_key(code)}]"
            adj = known.get(code) if isinstance(code, str) else None
            if adj is None:
                raise GradeError(
                    "unknown_adjustment",
                    gettext_noop(
                        "%(field)s: there is no such adjustment (the adjustments are %(allowed)s)."
                    ),
                    field=field,
                    allowed=", ".join(known),
                )
            if adj.kind == "flag":
                if not isinstance(value, bool):
                    raise GradeError(
                        "bad_flag",
                        gettext_noop("%(field)s: %(value)s must be true or false."),
                        field=field,
                        value=shown(value),
                    )
                values[code] = value
                continue
            events = dict(adj.events)
            if not isinstance(value, Mapping):
                raise GradeError(
                    "bad_counts",
                    gettext_noop(
                        "%(field)s must be a mapping of events to their counts (the events are %(allowed)s)."
                    ),
                    field=field,
                    allowed=", ".join(events),
                )
            for event, count in value.items():
                event_field = f"{field}[{_key(event)}]"
                if not isinstance(event, str) or event not in events:
                    raise GradeError(
                        "unknown_event",
                        gettext_noop(
                            "%(field)s: there is no such event (the events are %(allowed)s)."
                        ),
                        field=event_field,
                        allowed=", ".join(events),
                    )
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise GradeError(
                        "bad_count",
                        gettext_noop("%(field)s: %(value)s must be a whole number, 0 or more."),
                        field=event_field,
                        value=shown(count),
                    )
            values[code] = dict(value)
        return values


def _key(key: Any) -> str:
    """A key the user sent, for a field name in a message."""
    return shorten(key) if isinstance(key, str) else shown(key)


@functools.cache
def default_assessment() -> Assessment:
    """The assessment of GB/T 42195-2022, from the file next to this module."""
    return load_assessment(ASSESSMENT_FILE)


def grade(answers: Any, adjustments: Any = None, assessment: Assessment | None = None) -> Result:
    """An assessment graded by GB/T 42195-2022 (see `Assessment.grade`)."""
    return (assessment or default_assessment()).grade(answers, adjustments)


# ---------------------------------------------------------------------------------------------
# Loading and checking the file


class _Reader:
    """Reads one assessment file, failing with its name and the line of what is wrong."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sources: dict[str, str] = {}
        self.unconfirmed: list[str] = []

    def fail(self, code: str, template: str, line: int, **params: Any) -> AssessmentError:
        return AssessmentError(code, template, file=str(self.path), line=line, **params)

    def entry(
        self, raw: Any, line: int, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> Any:
        """A mapping with all the `required` fields and no field but those and `optional`."""
        if not isinstance(raw, dict):
            raise self.fail(
                "bad_entry",
                gettext_noop("%(file)s line %(line)s: an entry is a mapping of its fields."),
                line,
            )
        missing = [key for key in required if key not in raw]
        if missing:
            raise self.fail(
                "field_missing",
                gettext_noop("%(file)s line %(line)s: the entry lacks %(fields)s."),
                line,
                fields=", ".join(missing),
            )
        for key in raw:
            if key not in required and key not in optional:
                raise self.fail(
                    "unknown_field",
                    gettext_noop(
                        "%(file)s line %(line)s: %(key)s is not a field here (the fields are %(allowed)s)."
                    ),
                    yamllines.line_of(raw, key),
                    key=_key(key),
                    allowed=", ".join((*required, *optional)),
                )
        return raw

    def text(self, raw: Any, key: str, *, empty: bool = False) -> str:
        value = raw[key]
        if not isinstance(value, str) or not (empty or value.strip()):
            raise self.fail(
                "bad_text",
                gettext_noop("%(file)s line %(line)s: %(key)s must be a text."),
                yamllines.line_of(raw, key),
                key=key,
            )
        return value.strip()

    def whole(self, raw: Any, key: str, minimum: int) -> int:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(
                "bad_number",
                gettext_noop(
                    "%(file)s line %(line)s: %(key)s = %(value)s must be a whole number, %(minimum)s or more."
                ),
                yamllines.line_of(raw, key),
                key=key,
                value=shown(value),
                minimum=minimum,
            )
        return value

    def one_of(self, raw: Any, key: str, allowed: tuple[str, ...]) -> str:
        value = raw[key]
        if value not in allowed:
            raise self.fail(
                "not_allowed",
                gettext_noop(
                    "%(file)s line %(line)s: %(key)s = %(value)s is not one of %(allowed)s."
                ),
                yamllines.line_of(raw, key),
                key=key,
                value=shown(value),
                allowed=", ".join(allowed),
            )
        return value

    def confirmed(self, raw: Any, what: str) -> bool:
        """The entry's `confirmed` (true unless it says so); an unconfirmed entry is noted."""
        value = raw.get("confirmed", True)
        if not isinstance(value, bool):
            raise self.fail(
                "bad_confirmed",
                gettext_noop(
                    "%(file)s line %(line)s: confirmed = %(value)s must be true or false."
                ),
                yamllines.line_of(raw, "confirmed"),
                value=shown(value),
            )
        if not value:
            self.unconfirmed.append(what)
        return value

    def source(self, raw: Any, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The entry's `source` (the ids of `sources`), or the default."""
        if "source" not in raw:
            return default
        value, line = raw["source"], yamllines.line_of(raw, "source")
        if not isinstance(value, list) or not value:
            raise self.fail(
                "bad_source",
                gettext_noop("%(file)s line %(line)s: source is a list of the ids of sources."),
                line,
            )
        for i, name in enumerate(value):
            if not isinstance(name, str) or name not in self.sources:
                raise self.fail(
                    "unknown_source",
                    gettext_noop("%(file)s line %(line)s: %(value)s is not one of the sources."),
                    yamllines.line_of(value, i),
                    value=shown(name),
                )
        return tuple(value)

    def entries(self, raw: Any, key: str) -> Any:
        value = raw[key]
        if not isinstance(value, list) or not value:
            raise self.fail(
                "bad_list",
                gettext_noop("%(file)s line %(line)s: %(key)s must be a list of entries."),
                yamllines.line_of(raw, key),
                key=key,
            )
        return value

    def unique(self, seen: set[Any], value: Any, line: int) -> None:
        if value in seen:
            raise self.fail(
                "duplicate",
                gettext_noop("%(file)s line %(line)s: %(value)s is given twice."),
                line,
                value=shown(value),
            )
        seen.add(value)


def load_assessment(path: Path) -> Assessment:
    """An assessment from YAML (see `assessment.yaml`), refused with the file and line of what
    is wrong."""
    data = yamllines.read(path, AssessmentError)
    read = _Reader(path)
    top = read.entry(
        data,
        getattr(data, "line", 1),
        (
            "standard",
            "sources",
            "source",
            "total_maximum",
            "indicators",
            "grades",
            "adjustments",
            "combine_raises",
        ),
    )
    standard = read.text(top, "standard")
    sources = top["sources"]
    if not isinstance(sources, dict) or not sources:
        raise read.fail(
            "bad_sources",
            gettext_noop("%(file)s line %(line)s: sources is a mapping of ids to descriptions."),
            yamllines.line_of(top, "sources"),
        )
    for name in sources:
        read.text(sources, name)
    read.sources = {str(k): v for k, v in sources.items()}
    default_source = read.source(top)
    indicators = _indicators(read, top, default_source)
    total_maximum = read.whole(top, "total_maximum", 1)
    actual = sum(ind.maximum for ind in indicators)
    if actual != total_maximum:
        raise read.fail(
            "total_maximum",
            gettext_noop(
                "%(file)s line %(line)s: total_maximum is %(declared)s but the indicators' maxima add up to %(actual)s."
            ),
            yamllines.line_of(top, "total_maximum"),
            declared=total_maximum,
            actual=actual,
        )
    bands = _bands(read, top, total_maximum)
    adjustments = _adjustments(read, top, {band.grade for band in bands})
    combine_raw = read.entry(
        top["combine_raises"],
        yamllines.line_of(top, "combine_raises"),
        ("rule",),
        ("source", "confirmed"),
    )
    combine = read.one_of(combine_raw, "rule", COMBINE)
    read.source(combine_raw)
    read.confirmed(combine_raw, "combine_raises")
    return Assessment(
        standard=standard,
        indicators=indicators,
        bands=bands,
        adjustments=adjustments,
        combine=combine,
        total_maximum=total_maximum,
        sources=read.sources,
        unconfirmed=tuple(read.unconfirmed),
        file=str(path),
    )


def _indicators(read: _Reader, top: Any, default_source: tuple[str, ...]) -> tuple[Indicator, ...]:
    indicators: list[Indicator] = []
    codes: set[Any] = set()
    raw_list = read.entries(top, "indicators")
    for i, raw in enumerate(raw_list):
        raw = read.entry(
            raw,
            yamllines.line_of(raw_list, i),
            ("code", "name", "maximum", "items"),
            ("source", "confirmed"),
        )
        code = read.text(raw, "code")
        read.unique(codes, code, yamllines.line_of(raw, "code"))
        source = read.source(raw, default_source)
        confirmed = read.confirmed(raw, code)
        items = []
        raw_items = read.entries(raw, "items")
        for j, raw_item in enumerate(raw_items):
            item = _item(read, raw_item, yamllines.line_of(raw_items, j), code, source)
            read.unique(codes, item.code, yamllines.line_of(raw_item, "code"))
            items.append(item)
        maximum = read.whole(raw, "maximum", 1)
        actual = sum(item.maximum for item in items)
        if actual != maximum:
            raise read.fail(
                "indicator_maximum",
                gettext_noop(
                    "%(file)s line %(line)s: indicator %(indicator)s has maximum %(declared)s but its items' maxima add up to %(actual)s."
                ),
                yamllines.line_of(raw, "maximum"),
                indicator=code,
                declared=maximum,
                actual=actual,
            )
        indicators.append(
            Indicator(code, read.text(raw, "name"), maximum, tuple(items), source, confirmed)
        )
    return tuple(indicators)


def _item(read: _Reader, raw: Any, line: int, indicator: str, default: tuple[str, ...]) -> Item:
    raw = read.entry(raw, line, ("code", "name", "description", "options"), ("source", "confirmed"))
    code = read.text(raw, "code")
    options: list[Option] = []
    scores: set[Any] = set()
    raw_options = read.entries(raw, "options")
    for k, raw_option in enumerate(raw_options):
        raw_option = read.entry(
            raw_option, yamllines.line_of(raw_options, k), ("score", "wording"), ("confirmed",)
        )
        score = read.whole(raw_option, "score", 0)
        read.unique(scores, score, yamllines.line_of(raw_option, "score"))
        options.append(
            Option(
                score,
                read.text(raw_option, "wording"),
                read.confirmed(raw_option, f"{code} score {score}"),
            )
        )
    if len(options) < 2 or 0 not in scores:
        raise read.fail(
            "bad_options",
            gettext_noop(
                "%(file)s line %(line)s: item %(item)s needs two options or more, one of them scoring 0."
            ),
            yamllines.line_of(raw, "options"),
            item=code,
        )
    return Item(
        code=code,
        name=read.text(raw, "name"),
        indicator=indicator,
        description=read.text(raw, "description", empty=True),
        options=tuple(options),
        source=read.source(raw, default),
        confirmed=read.confirmed(raw, code),
    )


def _bands(read: _Reader, top: Any, total_maximum: int) -> tuple[Band, ...]:
    """The grade bands, grade 0 first, covering total_maximum down to 0 without gaps."""
    bands: list[Band] = []
    raw_list = read.entries(top, "grades")
    expected_high = total_maximum
    for i, raw in enumerate(raw_list):
        line = yamllines.line_of(raw_list, i)
        raw = read.entry(raw, line, ("grade", "name", "min", "max"), ("source", "confirmed"))
        number = read.whole(raw, "grade", 0)
        if number != i:
            raise read.fail(
                "grade_order",
                gettext_noop(
                    "%(file)s line %(line)s: grade %(value)s out of order: the grades are 0, 1, 2 … in order."
                ),
                yamllines.line_of(raw, "grade"),
                value=number,
            )
        low, high = read.whole(raw, "min", 0), read.whole(raw, "max", 0)
        if high != expected_high or low > high:
            raise read.fail(
                "grade_band",
                gettext_noop(
                    "%(file)s line %(line)s: grade %(grade)s covers %(low)s–%(high)s: it must end at %(expected)s and not start above it (the grades cover the total from %(total)s down to 0 without gaps or overlaps)."
                ),
                yamllines.line_of(raw, "max" if high != expected_high else "min"),
                grade=number,
                low=low,
                high=high,
                expected=expected_high,
                total=total_maximum,
            )
        bands.append(
            Band(
                number,
                read.text(raw, "name"),
                low,
                high,
                read.source(raw),
                read.confirmed(raw, f"grade {number}"),
            )
        )
        expected_high = low - 1
    if expected_high != -1:
        raise read.fail(
            "grade_bottom",
            gettext_noop("%(file)s line %(line)s: the last grade must start at 0, not %(value)s."),
            yamllines.line_of(raw_list, len(raw_list) - 1),
            value=expected_high + 1,
        )
    return tuple(bands)


def _adjustments(read: _Reader, top: Any, grades: set[int]) -> tuple[Adjustment, ...]:
    adjustments: list[Adjustment] = []
    codes: set[Any] = set()
    raw_list = read.entries(top, "adjustments")
    for i, raw in enumerate(raw_list):
        raw = read.entry(
            raw,
            yamllines.line_of(raw_list, i),
            ("code", "kind", "effect", "wording"),
            ("grade", "by", "threshold", "events", "source", "confirmed"),
        )
        code = read.text(raw, "code")
        read.unique(codes, code, yamllines.line_of(raw, "code"))
        kind = read.one_of(raw, "kind", KINDS)
        effect = read.one_of(raw, "effect", EFFECTS)
        needed = ("grade",) if effect == "set_grade" else ("by",)
        if kind == "counts":
            needed += ("threshold", "events")
        missing = [key for key in needed if key not in raw]
        if missing:
            raise read.fail(
                "field_missing",
                gettext_noop("%(file)s line %(line)s: the entry lacks %(fields)s."),
                yamllines.line_of(raw_list, i),
                fields=", ".join(missing),
            )
        grade_value = by = 0
        if effect == "set_grade":
            grade_value = read.whole(raw, "grade", 0)
            if grade_value not in grades:
                raise read.fail(
                    "unknown_grade",
                    gettext_noop(
                        "%(file)s line %(line)s: grade = %(value)s is not one of the grades."
                    ),
                    yamllines.line_of(raw, "grade"),
                    value=grade_value,
                )
        else:
            by = read.whole(raw, "by", 1)
        threshold, events = 1, ()
        if kind == "counts":
            threshold = read.whole(raw, "threshold", 1)
            raw_events = raw["events"]
            if not isinstance(raw_events, dict) or not raw_events:
                raise read.fail(
                    "bad_events",
                    gettext_noop(
                        "%(file)s line %(line)s: events is a mapping of event codes to their wording."
                    ),
                    yamllines.line_of(raw, "events"),
                )
            events = tuple((str(name), read.text(raw_events, name)) for name in raw_events)
        adjustments.append(
            Adjustment(
                code=code,
                kind=kind,
                effect=effect,
                wording=read.text(raw, "wording"),
                source=read.source(raw),
                grade=grade_value,
                by=by,
                threshold=threshold,
                events=events,
                confirmed=read.confirmed(raw, f"adjustment {code}"),
            )
        )
    return tuple(adjustments)
