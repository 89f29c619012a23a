"""Every department feed the platform reads, declared once (framework-free).

A feed is what one department sends: its name, label, department, the column naming the
person (or household, or owner) each row is about, its columns with types, units, allowed
codes and data level (数据分级), and which of the engine's inputs derive from it. The
synthetic generator, the engine's lake inputs, the verification lookup, its labels and
masking, the ingestion of real files and the docs (`docs/data/feeds.md`) all read this
declaration; a test fails when any of them names a feed or column that is not declared here.

Adding a feed is one `Feed` entry here plus, when the engine reads it, its derivation in
`minzheng.policy.lake.DERIVATIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from minzheng.lib.i18n import Label, pgettext_lazy


class Level(IntEnum):
    """数据分级: how sensitive a column is (the province's four levels of public data)."""

    PUBLIC = 1  # 公开: codes and dates that identify no one
    INTERNAL = 2  # 内部: attributes of a person that do not identify them on their own
    SENSITIVE = 3  # 敏感: identifies a person or describes their income and property
    HIGHLY_SENSITIVE = 4  # 高敏感: ID numbers, health, deposits, detention


LEVEL_LABELS = {
    Level.PUBLIC: pgettext_lazy("data level", "public"),
    Level.INTERNAL: pgettext_lazy("data level", "internal"),
    Level.SENSITIVE: pgettext_lazy("data level", "sensitive"),
    Level.HIGHLY_SENSITIVE: pgettext_lazy("data level", "highly sensitive"),
}

# Column types: how a value is checked on ingestion and stored in Parquet.
TYPES = {
    "string": "string",
    "id_number": "string",  # an 18-digit resident ID (GB 11643-1999) with a valid check digit
    "household_id": "string",  # a hukou number H + 6-digit county code + 7 digits
    "region": "string",  # a 9-digit township or 12-digit village code
    "date": "date32",
    "money": "decimal128(14, 2)",  # yuan, to the fen
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "bool": "bool",
    "double": "double",
}
# The same types in DuckDB's SQL (the loader writes accepted rows with them).
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "id_number": "VARCHAR",
    "household_id": "VARCHAR",
    "region": "VARCHAR",
    "date": "DATE",
    "money": "DECIMAL(14, 2)",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "bool": "BOOLEAN",
    "double": "DOUBLE",
}
# How a column is masked for a reader without the unmask permission.
MASKS = ("id", "name", "date", "code")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    label: Label
    level: Level = Level.INTERNAL
    unit: str = ""
    codes: dict[str, Label] | None = None  # allowed values → their labels (None: any)
    mask: str | None = None  # one of MASKS
    nullable: bool = False
    minimum: float | None = None  # amounts and counts below this are refused
    future: bool = False  # a date that may lie after the delivery's date (an expiry)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        if self.mask is not None and self.mask not in MASKS:
            raise ValueError(f"column {self.name}: unknown mask {self.mask!r}")


@dataclass(frozen=True)
class Feed:
    name: str
    label: Label
    department: str  # the sending department, as its rows name it (Chinese)
    subject: str  # the column naming the person or household a row is about
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the columns that identify a row: a second row with the same key
    # and other values is a conflict; empty when every row is a record of its own
    engine: bool = False  # the engine's inputs derive from it (policy.lake.DERIVATIONS)
    lookup: bool = False  # the verification report reads it (one household's lines)
    registry: bool = False  # a civil-affairs registry (eldercare, organisations), not a
    # department's delivery about residents
    description: str = ""
    snapshot_date: str = "snapshot_date"  # every feed carries its delivery's date

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """The feed's own columns, then those every feed carries."""
        return self.columns + COMMON

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.all_columns]


_c = Column


P, IN, S, H = Level.PUBLIC, Level.INTERNAL, Level.SENSITIVE, Level.HIGHLY_SENSITIVE
MONEY = {"unit": "yuan", "minimum": 0}

COMMON = (
    _c("department", "string", pgettext_lazy("feed column", "department"), P),
    _c("snapshot_date", "date", pgettext_lazy("feed column", "snapshot date"), P),
    _c("county", "string", pgettext_lazy("feed column", "county"), P),
)
ID = _c("id_number", "id_number", pgettext_lazy("feed column", "ID number"), H, mask="id")
OWNER = _c(
    "owner_id_number", "id_number", pgettext_lazy("feed column", "owner's ID number"), H, mask="id"
)
HOUSEHOLD = _c("household_id", "household_id", pgettext_lazy("feed column", "hukou number"), S)
DEVICE_KINDS = {
    "water": pgettext_lazy("feed value", "water meter"),
    "door": pgettext_lazy("feed value", "door sensor"),
    "wearable": pgettext_lazy("feed value", "wearable"),
}

INSTITUTION = _c("institution_id", "string", pgettext_lazy("feed column", "institution number"), P)
CONSORTIUM = _c("consortium_id", "string", pgettext_lazy("feed column", "consortium number"), P)
CENTRE = _c("centre_id", "string", pgettext_lazy("feed column", "centre number"), P)
WORKER = _c("worker_id", "string", pgettext_lazy("feed column", "worker number"), IN)
MEAL_POINT = _c("point_id", "string", pgettext_lazy("feed column", "meal point"), P)
LON = _c("lon", "double", pgettext_lazy("feed column", "longitude"), P)
LAT = _c("lat", "double", pgettext_lazy("feed column", "latitude"), P)
BED_TYPES = {
    "ordinary": pgettext_lazy("feed value", "ordinary bed"),
    "nursing": pgettext_lazy("feed value", "nursing bed"),
    "dementia": pgettext_lazy("feed value", "dementia-care bed"),
}


def MINUTE(name: str, label) -> Column:  # noqa: N802 - reads like the other column constants
    """A time of day as minutes after midnight (0–1439)."""
    return _c(name, "int16", label, Level.INTERNAL, unit="minutes after midnight", minimum=0)


RELATIONS = {
    "head": pgettext_lazy("feed value", "head"),
    "spouse": pgettext_lazy("feed value", "spouse"),
    "child": pgettext_lazy("feed value", "child"),
    "parent": pgettext_lazy("feed value", "parent"),
    "grandchild": pgettext_lazy("feed value", "grandchild"),
    "grandparent": pgettext_lazy("feed value", "grandparent"),
    "sibling": pgettext_lazy("feed value", "sibling"),
    "other": pgettext_lazy("feed value", "other relative"),
}
PERSON_STATUSES = {
    "normal": pgettext_lazy("feed value", "normal"),
    "prison": pgettext_lazy("feed value", "in prison"),
    "drug_rehab": pgettext_lazy("feed value", "in drug rehabilitation"),
    "clergy_away": pgettext_lazy("feed value", "clergy away"),
    "missing": pgettext_lazy("feed value", "missing"),
}
PARENT_STATUSES = {
    "alive": pgettext_lazy("feed value", "alive"),
    "deceased": pgettext_lazy("feed value", "deceased"),
    "missing": pgettext_lazy("feed value", "missing"),
    "prison": pgettext_lazy("feed value", "in prison"),
    "rehab": pgettext_lazy("feed value", "in drug rehabilitation"),
    "severe_disability": pgettext_lazy("feed value", "severely disabled"),
    "serious_illness": pgettext_lazy("feed value", "seriously ill"),
}
PROGRAMMES = {
    "dibao": pgettext_lazy("enrolled programme", "minimum living guarantee (dibao)"),
    "dibian": pgettext_lazy("enrolled programme", "low-income marginal household (dibian)"),
    "tekun": pgettext_lazy("enrolled programme", "support of extremely poor persons (tekun)"),
    "disability_care": pgettext_lazy(
        "enrolled programme", "care subsidy for the severely disabled"
    ),
    "disability_living": pgettext_lazy(
        "enrolled programme", "living subsidy for disabled people in difficulty"
    ),
    "orphan": pgettext_lazy("enrolled programme", "basic living allowance for orphans"),
    "de_facto_child": pgettext_lazy(
        "enrolled programme", "basic living allowance for de facto unsupported children"
    ),
    "kunjing_child": pgettext_lazy("enrolled programme", "support of children in difficulty"),
}

FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        Feed(
            "hukou_households",
            pgettext_lazy("feed", "Household registration"),
            "公安",
            "household_id",
            (
                HOUSEHOLD,
                _c("village_code", "region", pgettext_lazy("feed column", "village"), P),
                _c("township_code", "region", pgettext_lazy("feed column", "township"), P),
                _c("urban", "bool", pgettext_lazy("feed column", "urban"), IN),
                _c(
                    "size",
                    "int16",
                    pgettext_lazy("feed column", "members"),
                    IN,
                    unit="persons",
                    minimum=1,
                ),
            ),
            key=("household_id",),
            engine=True,
            lookup=True,
            description="One row per household.",
        ),
        Feed(
            "hukou_persons",
            pgettext_lazy("feed", "Hukou membership"),
            "公安",
            "id_number",
            (
                ID,
                _c("name", "string", pgettext_lazy("feed column", "name"), S, mask="name"),
                _c(
                    "sex",
                    "string",
                    pgettext_lazy("feed column", "sex"),
                    IN,
                    codes={
                        "M": pgettext_lazy("feed value", "male"),
                        "F": pgettext_lazy("feed value", "female"),
                    },
                ),
                _c(
                    "birth_date",
                    "date",
                    pgettext_lazy("feed column", "date of birth"),
                    S,
                    mask="date",
                ),
                HOUSEHOLD,
                _c(
                    "relation",
                    "string",
                    pgettext_lazy("feed column", "relation to the head"),
                    IN,
                    codes=RELATIONS,
                ),
                _c(
                    "marital_status",
                    "string",
                    pgettext_lazy("feed column", "marital status"),
                    S,
                    codes={
                        "married": pgettext_lazy("feed value", "married"),
                        "unmarried": pgettext_lazy("feed value", "unmarried"),
                        "widowed": pgettext_lazy("feed value", "widowed"),
                        "divorced": pgettext_lazy("feed value", "divorced"),
                    },
                ),
                _c(
                    "status",
                    "string",
                    pgettext_lazy("feed column", "status"),
                    H,
                    codes=PERSON_STATUSES,
                ),
                _c(
                    "school_stage",
                    "string",
                    pgettext_lazy("feed column", "school stage"),
                    IN,
                    codes={
                        "": pgettext_lazy("feed value", "none"),
                        "preschool": pgettext_lazy("feed value", "preschool"),
                        "primary": pgettext_lazy("feed value", "primary school"),
                        "junior": pgettext_lazy("feed value", "junior secondary school"),
                        "senior": pgettext_lazy("feed value", "senior secondary school"),
                        "tertiary": pgettext_lazy("feed value", "higher education"),
                    },
                ),
            ),
            key=("id_number",),
            engine=True,
            lookup=True,
            description="One row per resident.",
        ),
        Feed(
            "deaths",
            pgettext_lazy("feed", "Death registration"),
            "卫健",
            "id_number",
            (ID, _c("death_date", "date", pgettext_lazy("feed column", "date of death"), S)),
            key=("id_number",),
            engine=True,
            lookup=True,
        ),
        Feed(
            "si_wages",
            pgettext_lazy("feed", "Wages and social insurance"),
            "人社",
            "id_number",
            (
                ID,
                _c(
                    "employer_code",
                    "string",
                    pgettext_lazy("feed column", "employer"),
                    S,
                    mask="code",
                ),
                _c(
                    "monthly_wage",
                    "money",
                    pgettext_lazy("feed column", "monthly wage"),
                    S,
                    **MONEY,
                ),
                _c("employment_start", "date", pgettext_lazy("feed column", "employed since"), IN),
                _c("insured", "bool", pgettext_lazy("feed column", "insured"), IN),
            ),
            key=("id_number", "employer_code"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "pensions",
            pgettext_lazy("feed", "Pensions"),
            "人社",
            "id_number",
            (
                ID,
                _c(
                    "scheme",
                    "string",
                    pgettext_lazy("feed column", "scheme"),
                    IN,
                    codes={
                        "employee": pgettext_lazy("feed value", "urban employee"),
                        "resident": pgettext_lazy("feed value", "urban-rural resident"),
                    },
                ),
                _c(
                    "monthly_amount",
                    "money",
                    pgettext_lazy("feed column", "monthly amount"),
                    S,
                    **MONEY,
                ),
            ),
            key=("id_number", "scheme"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "unemployment",
            pgettext_lazy("feed", "Unemployment registration and benefit"),
            "人社",
            "id_number",
            (
                ID,
                _c("registered_date", "date", pgettext_lazy("feed column", "registered on"), IN),
                _c(
                    "monthly_benefit",
                    "money",
                    pgettext_lazy("feed column", "monthly benefit"),
                    S,
                    **MONEY,
                ),
            ),
            key=("id_number",),
            engine=True,
            lookup=True,
        ),
        Feed(
            "wage_changes",
            pgettext_lazy("feed", "Changes of insured wages"),
            "人社",
            "id_number",
            (
                ID,
                _c("change_date", "date", pgettext_lazy("feed column", "changed on"), IN),
                _c(
                    "wage_before",
                    "money",
                    pgettext_lazy("feed column", "monthly wage before"),
                    S,
                    **MONEY,
                ),
                _c(
                    "wage_after",
                    "money",
                    pgettext_lazy("feed column", "monthly wage after"),
                    S,
                    **MONEY,
                ),
            ),
            key=("id_number", "change_date"),
            description=(
                "Changes of a person's insured monthly wage (the contribution base) over the"
                " last year; a wage after of 0 is the end of an insured job."
            ),
        ),
        Feed(
            "tax_income",
            pgettext_lazy("feed", "Taxable income"),
            "税务",
            "id_number",
            (
                ID,
                _c("tax_year", "int16", pgettext_lazy("feed column", "tax year"), P, minimum=1990),
                _c(
                    "wage_monthly",
                    "money",
                    pgettext_lazy("feed column", "wages per month"),
                    S,
                    **MONEY,
                ),
                _c(
                    "business_monthly",
                    "money",
                    pgettext_lazy("feed column", "business income per month"),
                    S,
                    **MONEY,
                ),
                _c(
                    "property_monthly",
                    "money",
                    pgettext_lazy("feed column", "property income per month"),
                    S,
                    **MONEY,
                ),
            ),
            key=("id_number", "tax_year"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "real_estate",
            pgettext_lazy("feed", "Real estate"),
            "不动产",
            "owner_id_number",
            (
                _c(
                    "property_id",
                    "string",
                    pgettext_lazy("feed column", "certificate"),
                    S,
                    mask="code",
                ),
                OWNER,
                _c(
                    "use",
                    "string",
                    pgettext_lazy("feed column", "use"),
                    IN,
                    codes={
                        "residential": pgettext_lazy("feed value", "residential"),
                        "commercial": pgettext_lazy("feed value", "commercial"),
                    },
                ),
                _c(
                    "floor_area_m2",
                    "double",
                    pgettext_lazy("feed column", "floor area (m²)"),
                    S,
                    unit="m²",
                    minimum=0,
                ),
            ),
            key=("property_id", "owner_id_number"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "vehicles",
            pgettext_lazy("feed", "Vehicles"),
            "公安车管",
            "owner_id_number",
            (
                _c("plate", "string", pgettext_lazy("feed column", "plate"), S, mask="code"),
                OWNER,
                _c(
                    "vehicle_type",
                    "string",
                    pgettext_lazy("feed column", "vehicle type"),
                    IN,
                    codes={
                        "car": pgettext_lazy("feed value", "car"),
                        "motorcycle": pgettext_lazy("feed value", "motorcycle"),
                        "disability": pgettext_lazy("feed value", "disability vehicle"),
                    },
                ),
                _c(
                    "exempt", "bool", pgettext_lazy("feed column", "exempt from the means test"), IN
                ),
            ),
            key=("plate",),
            engine=True,
            lookup=True,
        ),
        Feed(
            "financial_assets",
            pgettext_lazy("feed", "Deposits and securities"),
            "金融",
            "id_number",
            (
                ID,
                _c("institution", "string", pgettext_lazy("feed column", "institution"), IN),
                _c(
                    "kind",
                    "string",
                    pgettext_lazy("feed column", "kind"),
                    IN,
                    codes={
                        "deposit": pgettext_lazy("feed value", "deposit"),
                        "securities": pgettext_lazy("feed value", "securities"),
                    },
                ),
                _c("balance", "money", pgettext_lazy("feed column", "balance"), H, **MONEY),
            ),
            key=("id_number", "institution", "kind"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "businesses",
            pgettext_lazy("feed", "Business registrations"),
            "市场监管",
            "owner_id_number",
            (
                _c(
                    "credit_code",
                    "string",
                    pgettext_lazy("feed column", "credit code"),
                    IN,
                    mask="code",
                ),
                OWNER,
                _c(
                    "kind",
                    "string",
                    pgettext_lazy("feed column", "kind"),
                    IN,
                    codes={
                        "individual": pgettext_lazy("feed value", "individual business"),
                        "company": pgettext_lazy("feed value", "company"),
                    },
                ),
                _c(
                    "registered_capital",
                    "money",
                    pgettext_lazy("feed column", "registered capital"),
                    S,
                    **MONEY,
                ),
                _c(
                    "status",
                    "string",
                    pgettext_lazy("feed column", "status"),
                    P,
                    codes={
                        "active": pgettext_lazy("feed value", "active"),
                        "revoked": pgettext_lazy("feed value", "revoked"),
                    },
                ),
            ),
            key=("credit_code",),
            lookup=True,
        ),
        Feed(
            "housing_fund",
            pgettext_lazy("feed", "Housing provident fund"),
            "公积金",
            "id_number",
            (
                ID,
                _c(
                    "monthly_contribution",
                    "money",
                    pgettext_lazy("feed column", "monthly contribution"),
                    S,
                    **MONEY,
                ),
                _c("balance", "money", pgettext_lazy("feed column", "balance"), H, **MONEY),
            ),
            key=("id_number",),
            lookup=True,
        ),
        Feed(
            "medical_oop",
            pgettext_lazy("feed", "Medical out-of-pocket spending (12 months)"),
            "医保",
            "id_number",
            (
                ID,
                _c("month", "date", pgettext_lazy("feed column", "month"), IN),
                _c(
                    "oop_amount",
                    "money",
                    pgettext_lazy("feed column", "out-of-pocket amount"),
                    H,
                    **MONEY,
                ),
            ),
            key=(),  # one row per claim: two equal rows are two claims
            engine=True,
            lookup=True,
            description="One row per claim (several a month are several claims).",
        ),
        Feed(
            "disability_certs",
            pgettext_lazy("feed", "Disability certificate"),
            "残联",
            "id_number",
            (
                ID,
                _c(
                    "cert_no",
                    "string",
                    pgettext_lazy("feed column", "certificate number"),
                    H,
                    mask="code",
                ),
                _c("grade", "int8", pgettext_lazy("feed column", "grade"), H, minimum=1),
                _c(
                    "kind",
                    "string",
                    pgettext_lazy("feed column", "kind"),
                    H,
                    codes={
                        "physical": pgettext_lazy("feed value", "physical"),
                        "visual": pgettext_lazy("feed value", "visual"),
                        "hearing": pgettext_lazy("feed value", "hearing"),
                        "speech": pgettext_lazy("feed value", "speech"),
                        "intellectual": pgettext_lazy("feed value", "intellectual"),
                        "mental": pgettext_lazy("feed value", "mental"),
                        "multiple": pgettext_lazy("feed value", "multiple"),
                    },
                ),
                _c("issued_date", "date", pgettext_lazy("feed column", "issued on"), IN),
            ),
            key=("cert_no",),
            engine=True,
            lookup=True,
        ),
        Feed(
            "elderly_capability",
            pgettext_lazy("feed", "Elderly capability assessment"),
            "民政",
            "id_number",
            (
                ID,
                _c("assessed_date", "date", pgettext_lazy("feed column", "assessed on"), IN),
                _c("grade", "int8", pgettext_lazy("feed column", "grade"), H, minimum=0),
            ),
            key=("id_number", "assessed_date"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "enrolments",
            pgettext_lazy("feed", "Assistance enrolments"),
            "民政",
            "id_number",
            (
                ID,
                HOUSEHOLD,
                _c(
                    "programme",
                    "string",
                    pgettext_lazy("feed column", "programme"),
                    S,
                    codes=PROGRAMMES,
                ),
                _c("start_date", "date", pgettext_lazy("feed column", "since"), IN),
            ),
            key=("id_number", "programme"),
            engine=True,
            lookup=True,
        ),
        Feed(
            "assistance_exits",
            pgettext_lazy("feed", "Assistance exits and rejected applications"),
            "民政",
            "household_id",
            (
                HOUSEHOLD,
                ID,
                _c(
                    "programme",
                    "string",
                    pgettext_lazy("feed column", "programme"),
                    S,
                    codes=PROGRAMMES,
                ),
                _c(
                    "outcome",
                    "string",
                    pgettext_lazy("feed column", "outcome"),
                    S,
                    codes={
                        "exit": pgettext_lazy("feed value", "left the programme"),
                        "rejected": pgettext_lazy("feed value", "application rejected"),
                    },
                ),
                _c("decided_date", "date", pgettext_lazy("feed column", "decided on"), IN),
                _c(
                    "reason",
                    "string",
                    pgettext_lazy("feed column", "reason"),
                    S,
                    codes={
                        "income_above_standard": pgettext_lazy(
                            "feed value", "income above the standard"
                        ),
                        "assets_above_limit": pgettext_lazy("feed value", "assets above the limit"),
                        "moved_away": pgettext_lazy("feed value", "moved away"),
                        "voluntary": pgettext_lazy("feed value", "at the household's request"),
                        "incomplete": pgettext_lazy("feed value", "application incomplete"),
                    },
                ),
            ),
            key=("household_id", "programme", "decided_date"),
            description=(
                "The households that left an assistance programme, or whose application was"
                " rejected, over the last two years (the civil-affairs system's own records)."
            ),
        ),
        Feed(
            "children_registry",
            pgettext_lazy("feed", "Children's registry"),
            "民政",
            "id_number",
            (
                ID,
                _c(
                    "category",
                    "string",
                    pgettext_lazy("feed column", "category"),
                    H,
                    codes={
                        "orphan": pgettext_lazy("feed value", "orphan"),
                        "de_facto_unsupported": pgettext_lazy(
                            "feed value", "de facto unsupported child"
                        ),
                        "kunjing": pgettext_lazy("feed value", "child in difficulty"),
                    },
                ),
                _c(
                    "father_status",
                    "string",
                    pgettext_lazy("feed column", "father"),
                    H,
                    codes=PARENT_STATUSES,
                ),
                _c(
                    "mother_status",
                    "string",
                    pgettext_lazy("feed column", "mother"),
                    H,
                    codes=PARENT_STATUSES,
                ),
                _c(
                    "placement",
                    "string",
                    pgettext_lazy("feed column", "placement"),
                    S,
                    codes={
                        "institution": pgettext_lazy("feed value", "in an institution"),
                        "family": pgettext_lazy("feed value", "in a family"),
                    },
                ),
            ),
            key=("id_number",),
            engine=True,
            lookup=True,
        ),
        Feed(
            "care_institutions",
            pgettext_lazy("feed", "Elder-care institutions"),
            "民政",
            "institution_id",
            (
                _c(
                    "institution_id",
                    "string",
                    pgettext_lazy("feed column", "institution number"),
                    P,
                ),
                _c("name", "string", pgettext_lazy("feed column", "institution name"), P),
                _c("township_code", "region", pgettext_lazy("feed column", "township"), P),
                _c(
                    "ownership",
                    "string",
                    pgettext_lazy("feed column", "ownership"),
                    P,
                    codes={
                        "public": pgettext_lazy("feed value", "public"),
                        "private": pgettext_lazy("feed value", "private"),
                    },
                ),
                _c(
                    "beds", "int32", pgettext_lazy("feed column", "beds"), P, unit="beds", minimum=0
                ),
                _c(
                    "nursing_beds",
                    "int32",
                    pgettext_lazy("feed column", "nursing beds"),
                    P,
                    unit="beds",
                    minimum=0,
                ),
                _c(
                    "dementia_beds",
                    "int32",
                    pgettext_lazy("feed column", "dementia-care beds"),
                    P,
                    unit="beds",
                    minimum=0,
                ),
            ),
            key=("institution_id",),
            registry=True,
        ),
        Feed(
            "care_staff",
            pgettext_lazy("feed", "Elder-care staff"),
            "民政",
            "staff_id",
            (
                _c("staff_id", "string", pgettext_lazy("feed column", "staff number"), IN),
                _c(
                    "institution_id",
                    "string",
                    pgettext_lazy("feed column", "institution number"),
                    P,
                ),
                _c(
                    "role",
                    "string",
                    pgettext_lazy("feed column", "role"),
                    IN,
                    codes={
                        "carer": pgettext_lazy("feed value", "carer"),
                        "other": pgettext_lazy("feed value", "other staff"),
                    },
                ),
                _c("certified", "bool", pgettext_lazy("feed column", "certified"), IN),
            ),
            key=("staff_id",),
            registry=True,
        ),
        Feed(
            "social_orgs",
            pgettext_lazy("feed", "Social organisations"),
            "民政",
            "org_id",
            (
                _c("org_id", "string", pgettext_lazy("feed column", "credit code"), P),
                _c(
                    "kind",
                    "string",
                    pgettext_lazy("feed column", "kind"),
                    P,
                    codes={
                        "association": pgettext_lazy("feed value", "association"),
                        "service_org": pgettext_lazy("feed value", "social service organisation"),
                        "foundation": pgettext_lazy("feed value", "foundation"),
                    },
                ),
                _c("registered_date", "date", pgettext_lazy("feed column", "registered on"), P),
                _c("township_code", "region", pgettext_lazy("feed column", "township"), P),
            ),
            key=("org_id",),
            registry=True,
        ),
        Feed(
            "social_workers",
            pgettext_lazy("feed", "Certified social workers"),
            "民政",
            "id_number",
            (
                _c(
                    "certificate_no",
                    "string",
                    pgettext_lazy("feed column", "certificate number"),
                    S,
                    mask="code",
                ),
                ID,
                _c(
                    "level",
                    "string",
                    pgettext_lazy("feed column", "level"),
                    IN,
                    codes={
                        "assistant": pgettext_lazy("feed value", "assistant social worker"),
                        "intermediate": pgettext_lazy("feed value", "social worker"),
                        "senior": pgettext_lazy("feed value", "senior social worker"),
                    },
                ),
            ),
            key=("certificate_no",),
            registry=True,
        ),
        Feed(
            "volunteers",
            pgettext_lazy("feed", "Registered volunteers"),
            "民政",
            "id_number",
            (
                _c(
                    "volunteer_id",
                    "string",
                    pgettext_lazy("feed column", "volunteer number"),
                    S,
                    mask="code",
                ),
                ID,
                _c(
                    "hours_12m",
                    "double",
                    pgettext_lazy("feed column", "service hours (12 months)"),
                    IN,
                    unit="hours",
                    minimum=0,
                ),
            ),
            key=("volunteer_id",),
            registry=True,
        ),
        Feed(
            "elder_devices",
            pgettext_lazy("feed", "Home devices of older people living alone"),
            "民政",
            "id_number",
            (
                _c("device_id", "string", pgettext_lazy("feed column", "device number"), IN),
                _c(
                    "device_kind",
                    "string",
                    pgettext_lazy("feed column", "device kind"),
                    IN,
                    codes=DEVICE_KINDS,
                ),
                ID,
                HOUSEHOLD,
                _c("installed_date", "date", pgettext_lazy("feed column", "installed on"), IN),
            ),
            key=("device_id",),
            registry=True,
            description=(
                "The water meters, door sensors and wearables installed for older people"
                " living alone (the elder-care platform's register of devices)."
            ),
        ),
        Feed(
            "device_events",
            pgettext_lazy("feed", "Signals of home devices"),
            "民政",
            "device_id",
            (
                _c("device_id", "string", pgettext_lazy("feed column", "device number"), IN),
                _c("event_date", "date", pgettext_lazy("feed column", "event date"), IN),
                _c(
                    "minute",
                    "int16",
                    pgettext_lazy("feed column", "minute of the day"),
                    IN,
                    unit="minutes",
                    minimum=0,
                ),
                _c(
                    "event_type",
                    "string",
                    pgettext_lazy("feed column", "event type"),
                    IN,
                    codes={
                        "water": pgettext_lazy("feed value", "water meter reading"),
                        "door_open": pgettext_lazy("feed value", "door opened"),
                        "door_close": pgettext_lazy("feed value", "door closed"),
                        "heartbeat": pgettext_lazy("feed value", "wearable heartbeat"),
                        "fall": pgettext_lazy("feed value", "fall detected"),
                    },
                ),
                _c(
                    "value",
                    "double",
                    pgettext_lazy("feed column", "value"),
                    IN,
                    unit="litres or steps",
                    minimum=0,
                ),
            ),
            key=(),
            description=(
                "One day of the devices' signals: hourly water readings (litres in the hour),"
                " door openings and closings, the wearables' hourly heartbeats (steps in the"
                " hour) and fall alarms, at the minute of the day (0–1439)."
            ),
        ),
        # ---- elder care (浙里养), generated by minzheng.synth.eldercare ----------------------
        Feed(
            "care_institution_details",
            pgettext_lazy("feed", "Elder-care institution details"),
            "民政",
            "institution_id",
            (
                INSTITUTION,
                _c(
                    "kind",
                    "string",
                    pgettext_lazy("feed column", "kind of institution"),
                    P,
                    codes={
                        "public": pgettext_lazy("feed value", "public"),
                        "public_private": pgettext_lazy(
                            "feed value", "publicly built, privately run"
                        ),
                        "private": pgettext_lazy("feed value", "private"),
                        "jinglaoyuan": pgettext_lazy("feed value", "township home for the aged"),
                    },
                ),
                _c(
                    "star_grade",
                    "int8",
                    pgettext_lazy("feed column", "star grade"),
                    P,
                    minimum=0,
                ),
                _c(
                    "star_graded_date",
                    "date",
                    pgettext_lazy("feed column", "graded on"),
                    P,
                    nullable=True,
                ),
                LON,
                LAT,
                _c(
                    "ordinary_beds",
                    "int32",
                    pgettext_lazy("feed column", "ordinary beds"),
                    P,
                    unit="beds",
                    minimum=0,
                ),
            ),
            key=("institution_id",),
            registry=True,
            description=(
                "Adds to `care_institutions`: the kind, the star grade of GB/T 37276 (0: not"
                " graded) and where the institution is."
            ),
        ),
        Feed(
            "care_residents",
            pgettext_lazy("feed", "Elder-care institution residents"),
            "民政",
            "id_number",
            (
                ID,
                INSTITUTION,
                _c("bed_id", "string", pgettext_lazy("feed column", "bed number"), IN),
                _c(
                    "bed_type",
                    "string",
                    pgettext_lazy("feed column", "bed type"),
                    IN,
                    codes=BED_TYPES,
                ),
                _c("admission_date", "date", pgettext_lazy("feed column", "admitted on"), IN),
            ),
            key=("id_number",),
            registry=True,
        ),
        Feed(
            "care_staff_certificates",
            pgettext_lazy("feed", "Care-worker certificates"),
            "民政",
            "staff_id",
            (
                _c("staff_id", "string", pgettext_lazy("feed column", "staff number"), IN),
                _c(
                    "certificate_level",
                    "string",
                    pgettext_lazy("feed column", "certificate level"),
                    IN,
                    codes={
                        "junior": pgettext_lazy("feed value", "junior care worker"),
                        "intermediate": pgettext_lazy("feed value", "intermediate care worker"),
                        "senior": pgettext_lazy("feed value", "senior care worker"),
                        "technician": pgettext_lazy("feed value", "technician care worker"),
                    },
                ),
                _c(
                    "certificate_no",
                    "string",
                    pgettext_lazy("feed column", "certificate number"),
                    S,
                    mask="code",
                ),
                _c("issued_date", "date", pgettext_lazy("feed column", "issued on"), IN),
                _c(
                    "expiry_date",
                    "date",
                    pgettext_lazy("feed column", "valid until"),
                    IN,
                    future=True,
                ),
                _c(
                    "first_aid",
                    "bool",
                    pgettext_lazy("feed column", "first-aid certificate"),
                    IN,
                ),
                _c(
                    "first_aid_expiry_date",
                    "date",
                    pgettext_lazy("feed column", "first-aid certificate valid until"),
                    IN,
                    nullable=True,
                    future=True,
                ),
            ),
            key=("certificate_no",),
            registry=True,
            description="One row per carer of `care_staff` holding a care-worker certificate.",
        ),
        Feed(
            "care_consortia",
            pgettext_lazy("feed", "Care and rehabilitation consortia"),
            "民政",
            "consortium_id",
            (
                CONSORTIUM,
                _c("name", "string", pgettext_lazy("feed column", "consortium name"), P),
                _c(
                    "level",
                    "string",
                    pgettext_lazy("feed column", "level"),
                    P,
                    codes={
                        "province": pgettext_lazy("feed value", "province"),
                        "city": pgettext_lazy("feed value", "city"),
                        "county": pgettext_lazy("feed value", "county"),
                        "township": pgettext_lazy("feed value", "township"),
                    },
                ),
                _c("region_code", "string", pgettext_lazy("feed column", "region"), P),
                _c(
                    "lead_institution_id",
                    "string",
                    pgettext_lazy("feed column", "lead institution"),
                    P,
                ),
                _c(
                    "rehab_beds",
                    "int16",
                    pgettext_lazy("feed column", "rehabilitation beds"),
                    P,
                    unit="beds",
                    minimum=0,
                ),
                _c(
                    "rehab_physicians",
                    "int16",
                    pgettext_lazy("feed column", "rehabilitation physicians"),
                    P,
                    unit="persons",
                    minimum=0,
                ),
                _c(
                    "rehab_therapists",
                    "int16",
                    pgettext_lazy("feed column", "rehabilitation therapists"),
                    P,
                    unit="persons",
                    minimum=0,
                ),
            ),
            key=("consortium_id",),
            registry=True,
        ),
        Feed(
            "care_consortium_members",
            pgettext_lazy("feed", "Members of care and rehabilitation consortia"),
            "民政",
            "consortium_id",
            (
                CONSORTIUM,
                _c("member_id", "string", pgettext_lazy("feed column", "member"), P),
                _c(
                    "member_kind",
                    "string",
                    pgettext_lazy("feed column", "kind of member"),
                    P,
                    codes={
                        "institution": pgettext_lazy("feed value", "elder-care institution"),
                        "home_care_centre": pgettext_lazy("feed value", "home-care centre"),
                    },
                ),
                _c(
                    "role",
                    "string",
                    pgettext_lazy("feed column", "role in the consortium"),
                    P,
                    codes={
                        "lead": pgettext_lazy("feed value", "lead"),
                        "member": pgettext_lazy("feed value", "member"),
                    },
                ),
            ),
            key=("consortium_id", "member_id"),
            registry=True,
        ),
        Feed(
            "home_care_centres",
            pgettext_lazy("feed", "Home-care service centres"),
            "民政",
            "centre_id",
            (
                CENTRE,
                _c("name", "string", pgettext_lazy("feed column", "centre name"), P),
                _c("township_code", "region", pgettext_lazy("feed column", "township"), P),
                LON,
                LAT,
            ),
            key=("centre_id",),
            registry=True,
            description="The township's home-care service centre (居家养老服务中心).",
        ),
        Feed(
            "home_care_workers",
            pgettext_lazy("feed", "Home-care workers"),
            "民政",
            "worker_id",
            (
                WORKER,
                CENTRE,
                ID,
            ),
            key=("worker_id",),
            registry=True,
        ),
        Feed(
            "meal_points",
            pgettext_lazy("feed", "Meal-aid points"),
            "民政",
            "point_id",
            (
                MEAL_POINT,
                CENTRE,
                _c("village_code", "region", pgettext_lazy("feed column", "village"), P),
                LON,
                LAT,
            ),
            key=("point_id",),
            registry=True,
            description="助餐点: the centre's canteen and village canteens.",
        ),
        Feed(
            "meal_orders",
            pgettext_lazy("feed", "Meal-aid orders"),
            "民政",
            "id_number",
            (
                _c("order_id", "string", pgettext_lazy("feed column", "order number"), IN),
                MEAL_POINT,
                ID,
                _c("order_date", "date", pgettext_lazy("feed column", "date"), IN),
                _c(
                    "mode",
                    "string",
                    pgettext_lazy("feed column", "mode"),
                    IN,
                    codes={
                        "dine_in": pgettext_lazy("feed value", "dine in"),
                        "delivery": pgettext_lazy("feed value", "delivered"),
                    },
                ),
                _c("price", "money", pgettext_lazy("feed column", "price"), IN, **MONEY),
                _c("subsidy", "money", pgettext_lazy("feed column", "subsidy"), IN, **MONEY),
            ),
            key=("order_id",),
            registry=True,
            description="The meals of the snapshot's month.",
        ),
        Feed(
            "home_care_orders",
            pgettext_lazy("feed", "Home-care work orders"),
            "民政",
            "id_number",
            (
                _c("order_id", "string", pgettext_lazy("feed column", "order number"), IN),
                CENTRE,
                WORKER,
                ID,
                _c(
                    "service_item",
                    "string",
                    pgettext_lazy("feed column", "service"),
                    IN,
                    codes={
                        "personal_care": pgettext_lazy("feed value", "personal care"),
                        "housekeeping": pgettext_lazy("feed value", "housekeeping"),
                        "bathing": pgettext_lazy("feed value", "bathing"),
                        "meal_help": pgettext_lazy("feed value", "help with meals"),
                        "rehabilitation": pgettext_lazy("feed value", "rehabilitation"),
                        "health_check": pgettext_lazy("feed value", "health check"),
                        "companionship": pgettext_lazy("feed value", "companionship"),
                    },
                ),
                _c("service_date", "date", pgettext_lazy("feed column", "service date"), IN),
                MINUTE("planned_start_minute", pgettext_lazy("feed column", "planned start")),
                MINUTE("planned_end_minute", pgettext_lazy("feed column", "planned end")),
                MINUTE("check_in_minute", pgettext_lazy("feed column", "check-in")),
                MINUTE("check_out_minute", pgettext_lazy("feed column", "check-out")),
                _c("check_in_lon", "double", pgettext_lazy("feed column", "check-in longitude"), S),
                _c("check_in_lat", "double", pgettext_lazy("feed column", "check-in latitude"), S),
                _c(
                    "check_out_lon",
                    "double",
                    pgettext_lazy("feed column", "check-out longitude"),
                    S,
                ),
                _c(
                    "check_out_lat", "double", pgettext_lazy("feed column", "check-out latitude"), S
                ),
                _c(
                    "duration_minutes",
                    "int16",
                    pgettext_lazy("feed column", "recorded duration"),
                    IN,
                    unit="minutes",
                ),
            ),
            key=("order_id",),
            registry=True,
            description=(
                "Electronic visit verification of the snapshot's month: times are minutes after"
                " midnight of the service date; the duration is check-out minus check-in as the"
                " app recorded it (negative when check-out precedes check-in)."
            ),
        ),
        Feed(
            "home_care_beds",
            pgettext_lazy("feed", "Home-care beds"),
            "民政",
            "id_number",
            (
                _c("bed_id", "string", pgettext_lazy("feed column", "bed number"), IN),
                ID,
                CENTRE,
                _c("start_date", "date", pgettext_lazy("feed column", "since"), IN),
            ),
            key=("bed_id",),
            registry=True,
            description="家庭养老床位: an older person cared for at home as in a bed of the centre.",
        ),
        Feed(
            "respite_care",
            pgettext_lazy("feed", "Respite care"),
            "民政",
            "id_number",
            (
                ID,
                _c("start_date", "date", pgettext_lazy("feed column", "since"), IN),
                _c(
                    "days",
                    "int16",
                    pgettext_lazy("feed column", "days used"),
                    IN,
                    unit="days",
                    minimum=1,
                ),
            ),
            key=("id_number", "start_date"),
            registry=True,
            description="喘息服务 of the last year: a stay that relieves the family carer.",
        ),
        Feed(
            "home_adaptations",
            pgettext_lazy("feed", "Home adaptations for older people"),
            "民政",
            "id_number",
            (
                _c("project_id", "string", pgettext_lazy("feed column", "project number"), IN),
                ID,
                _c("completed_date", "date", pgettext_lazy("feed column", "completed on"), IN),
                _c("cost", "money", pgettext_lazy("feed column", "cost"), IN, **MONEY),
            ),
            key=("project_id",),
            registry=True,
            description="适老化改造 projects of the last three years.",
        ),
        Feed(
            "household_locations",
            pgettext_lazy("feed", "Homes of older people"),
            "民政",
            "household_id",
            (
                HOUSEHOLD,
                _c("lon", "double", pgettext_lazy("feed column", "longitude"), S),
                _c("lat", "double", pgettext_lazy("feed column", "latitude"), S),
            ),
            key=("household_id",),
            registry=True,
            description=(
                "Where the households with a person aged 60 or over live (the 浙里养 address"
                " book, geocoded): for the distance check of home-care visits."
            ),
        ),
    )
}

ENGINE_FEEDS = tuple(name for name, f in FEEDS.items() if f.engine)
LOOKUP_FEEDS = tuple(name for name, f in FEEDS.items() if f.lookup)


def feed(name: str) -> Feed:
    """The declared feed, or KeyError naming the known ones."""
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known: {', '.join(FEEDS)}") from None


def arrow_schema(feed: Feed):
    """The feed's columns as an Arrow schema (as its Parquet files hold them)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "date32": pa.date32(),
        "decimal128(14, 2)": pa.decimal128(14, 2),
        "int8": pa.int8(),
        "int16": pa.int16(),
        "int32": pa.int32(),
        "bool": pa.bool_(),
        "double": pa.float64(),
    }
    return pa.schema([(c.name, types[TYPES[c.type]]) for c in feed.all_columns])


def mask_value(mask: str | None, value: object) -> object:
    """A value as a reader without the unmask permission sees it."""
    if mask is None or value is None or value == "":
        return value
    text = str(value)
    if mask == "id":
        from minzheng.lib.idcard import mask as mask_id

        return mask_id(text)
    if mask == "name":
        from minzheng.lib.names import mask_name

        return mask_name(text)
    if mask == "date":
        return text[:4] + "-**-**"
    return text[:4] + "****"  # code


def render_docs() -> str:
    """docs/data/feeds.md: every feed and column as declared (kept in step by a test)."""
    lines = [
        "# Department feeds",
        "",
        "Generated from `src/minzheng/exchange/feeds.py` by `minzheng feed docs`; do not edit.",
        "Levels (数据分级): 1 public (公开), 2 internal (内部), 3 sensitive (敏感), "
        "4 highly sensitive (高敏感). Masks: `id` 330102**********1X, `name` 张*, "
        "`date` the year only, `code` the first four characters. Every feed also carries "
        "`department`, `snapshot_date` and `county` (level 1).",
        "",
    ]
    for f in FEEDS.values():
        uses = [
            use
            for use, on in (
                ("engine input", f.engine),
                ("verification report", f.lookup),
                ("civil-affairs registry", f.registry),
            )
            if on
        ]
        lines += [
            f"## `{f.name}` — {f.label.message}",
            "",
            f"{f.department}. About: `{f.subject}`. Row key: "
            f"{', '.join(f'`{k}`' for k in f.key) or 'none (every row is a record)'}. "
            f"Used as: {', '.join(uses) or '—'}." + (f" {f.description}" if f.description else ""),
            "",
            "| column | type | unit | level | mask | codes | meaning |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in f.columns:
            codes = ", ".join(f"`{k}`" for k in c.codes) if c.codes else ""
            lines.append(
                f"| `{c.name}` | {c.type} | {c.unit} | {int(c.level)} | {c.mask or ''} "
                f"| {codes} | {c.label.message} |"
            )
        lines.append("")
    return "\n".join(lines)
