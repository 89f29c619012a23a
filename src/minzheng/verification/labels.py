"""What the report's codes mean to a reader: feeds, columns and enumerated values, translated
lazily (columns and values in their own contexts: "parent" here is a relative, not a region)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

FEEDS = {
    "hukou_households": gettext_lazy("Household registration"),
    "hukou_persons": gettext_lazy("Hukou membership"),
    "deaths": gettext_lazy("Death registration"),
    "si_wages": gettext_lazy("Wages and social insurance"),
    "pensions": gettext_lazy("Pensions"),
    "unemployment": gettext_lazy("Unemployment registration and benefit"),
    "tax_income": gettext_lazy("Taxable income"),
    "real_estate": gettext_lazy("Real estate"),
    "vehicles": gettext_lazy("Vehicles"),
    "financial_assets": gettext_lazy("Deposits and securities"),
    "businesses": gettext_lazy("Business registrations"),
    "housing_fund": gettext_lazy("Housing provident fund"),
    "medical_oop": gettext_lazy("Medical out-of-pocket spending (12 months)"),
    "disability_certs": gettext_lazy("Disability certificate"),
    "elderly_capability": gettext_lazy("Elderly capability assessment"),
    "enrolments": gettext_lazy("Assistance enrolments"),
    "children_registry": gettext_lazy("Children's registry"),
}
COLUMNS = {
    "household_id": pgettext_lazy("feed column", "hukou number"),
    "relation": pgettext_lazy("feed column", "relation to the head"),
    "marital_status": pgettext_lazy("feed column", "marital status"),
    "status": pgettext_lazy("feed column", "status"),
    "school_stage": pgettext_lazy("feed column", "school stage"),
    "death_date": pgettext_lazy("feed column", "date of death"),
    "employer_code": pgettext_lazy("feed column", "employer"),
    "monthly_wage": pgettext_lazy("feed column", "monthly wage"),
    "employment_start": pgettext_lazy("feed column", "employed since"),
    "insured": pgettext_lazy("feed column", "insured"),
    "scheme": pgettext_lazy("feed column", "scheme"),
    "monthly_amount": pgettext_lazy("feed column", "monthly amount"),
    "registered_date": pgettext_lazy("feed column", "registered on"),
    "monthly_benefit": pgettext_lazy("feed column", "monthly benefit"),
    "tax_year": pgettext_lazy("feed column", "tax year"),
    "wage_monthly": pgettext_lazy("feed column", "wages per month"),
    "business_monthly": pgettext_lazy("feed column", "business income per month"),
    "property_monthly": pgettext_lazy("feed column", "property income per month"),
    "property_id": pgettext_lazy("feed column", "certificate"),
    "use": pgettext_lazy("feed column", "use"),
    "floor_area_m2": pgettext_lazy("feed column", "floor area (m²)"),
    "plate": pgettext_lazy("feed column", "plate"),
    "vehicle_type": pgettext_lazy("feed column", "vehicle type"),
    "exempt": pgettext_lazy("feed column", "exempt from the means test"),
    "institution": pgettext_lazy("feed column", "institution"),
    "kind": pgettext_lazy("feed column", "kind"),
    "balance": pgettext_lazy("feed column", "balance"),
    "credit_code": pgettext_lazy("feed column", "credit code"),
    "registered_capital": pgettext_lazy("feed column", "registered capital"),
    "monthly_contribution": pgettext_lazy("feed column", "monthly contribution"),
    "month": pgettext_lazy("feed column", "month"),
    "oop_amount": pgettext_lazy("feed column", "out-of-pocket amount"),
    "cert_no": pgettext_lazy("feed column", "certificate number"),
    "grade": pgettext_lazy("feed column", "grade"),
    "issued_date": pgettext_lazy("feed column", "issued on"),
    "assessed_date": pgettext_lazy("feed column", "assessed on"),
    "programme": pgettext_lazy("feed column", "programme"),
    "start_date": pgettext_lazy("feed column", "since"),
    "category": pgettext_lazy("feed column", "category"),
    "father_status": pgettext_lazy("feed column", "father"),
    "mother_status": pgettext_lazy("feed column", "mother"),
    "placement": pgettext_lazy("feed column", "placement"),
}
VALUES = {
    "head": pgettext_lazy("feed value", "head"),
    "spouse": pgettext_lazy("feed value", "spouse"),
    "child": pgettext_lazy("feed value", "child"),
    "parent": pgettext_lazy("feed value", "parent"),
    "grandchild": pgettext_lazy("feed value", "grandchild"),
    "married": pgettext_lazy("feed value", "married"),
    "unmarried": pgettext_lazy("feed value", "unmarried"),
    "widowed": pgettext_lazy("feed value", "widowed"),
    "divorced": pgettext_lazy("feed value", "divorced"),
    "normal": pgettext_lazy("feed value", "normal"),
    "prison": pgettext_lazy("feed value", "in prison"),
    "drug_rehab": pgettext_lazy("feed value", "in drug rehabilitation"),
    "clergy_away": pgettext_lazy("feed value", "clergy away"),
    "missing": pgettext_lazy("feed value", "missing"),
    "residential": pgettext_lazy("feed value", "residential"),
    "commercial": pgettext_lazy("feed value", "commercial"),
    "deposit": pgettext_lazy("feed value", "deposit"),
    "securities": pgettext_lazy("feed value", "securities"),
    "car": pgettext_lazy("feed value", "car"),
    "motorcycle": pgettext_lazy("feed value", "motorcycle"),
    "disability": pgettext_lazy("feed value", "disability vehicle"),
    "employee": pgettext_lazy("feed value", "urban employee"),
    "resident": pgettext_lazy("feed value", "urban-rural resident"),
    "individual": pgettext_lazy("feed value", "individual business"),
    "company": pgettext_lazy("feed value", "company"),
    "active": pgettext_lazy("feed value", "active"),
    "revoked": pgettext_lazy("feed value", "revoked"),
    "physical": pgettext_lazy("feed value", "physical"),
    "visual": pgettext_lazy("feed value", "visual"),
    "hearing": pgettext_lazy("feed value", "hearing"),
    "speech": pgettext_lazy("feed value", "speech"),
    "intellectual": pgettext_lazy("feed value", "intellectual"),
    "mental": pgettext_lazy("feed value", "mental"),
    "multiple": pgettext_lazy("feed value", "multiple"),
    "eligible": pgettext_lazy("feed value", "eligible"),
    "ineligible": pgettext_lazy("feed value", "ineligible"),
    "gradual_exit": pgettext_lazy("feed value", "gradual exit"),
    "single_person": pgettext_lazy("feed value", "single-person household"),
    # relations to the head (hukou_persons.relation, policy.household.RELATIONS)
    "grandparent": pgettext_lazy("feed value", "grandparent"),
    "sibling": pgettext_lazy("feed value", "sibling"),
    "other": pgettext_lazy("feed value", "other relative"),
    # school stages (hukou_persons.school_stage)
    "preschool": pgettext_lazy("feed value", "preschool"),
    "primary": pgettext_lazy("feed value", "primary school"),
    "junior": pgettext_lazy("feed value", "junior secondary school"),
    "senior": pgettext_lazy("feed value", "senior secondary school"),
    "tertiary": pgettext_lazy("feed value", "higher education"),
    # children in the registry (children_registry.category, placement)
    "orphan": pgettext_lazy("feed value", "orphan"),
    "de_facto_unsupported": pgettext_lazy("feed value", "de facto unsupported child"),
    "kunjing": pgettext_lazy("feed value", "child in difficulty"),
    "institution": pgettext_lazy("feed value", "in an institution"),
    "family": pgettext_lazy("feed value", "in a family"),
    # a child's parents (children_registry.father_status, mother_status;
    # policy.household.PARENT_STATUSES)
    "alive": pgettext_lazy("feed value", "alive"),
    "deceased": pgettext_lazy("feed value", "deceased"),
    "severe_disability": pgettext_lazy("feed value", "severely disabled"),
    "serious_illness": pgettext_lazy("feed value", "seriously ill"),
    "rehab": pgettext_lazy("feed value", "in drug rehabilitation"),
}
# Codes that mean something else in one column: an enrolment's programme (enrolments.programme)
# "orphan" is the benefit, where a child's category "orphan" is the child.
COLUMN_VALUES = {
    "programme": {
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
    },
}


def value_text(value: Any, column: str | None = None) -> str:
    """A line's value for a reader: booleans as yes/no, codes translated (by the column's own
    table first), empty as —."""
    if value is True:
        return str(gettext_lazy("yes"))
    if value is False:
        return str(gettext_lazy("no"))
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        label = COLUMN_VALUES.get(column or "", {}).get(value) or VALUES.get(value)
        if label is not None:
            return str(label)
    return str(value)
