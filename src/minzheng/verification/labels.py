"""What the report's codes mean to a reader: feeds, columns and enumerated values (English
msgids, shown translated by the page, the PDF and the CLI)."""

from __future__ import annotations

from typing import Any

from minzheng.lib.i18n import gettext_noop

FEEDS = {
    "hukou_households": gettext_noop("Household registration"),
    "hukou_persons": gettext_noop("Hukou membership"),
    "deaths": gettext_noop("Death registration"),
    "si_wages": gettext_noop("Wages and social insurance"),
    "pensions": gettext_noop("Pensions"),
    "unemployment": gettext_noop("Unemployment registration and benefit"),
    "tax_income": gettext_noop("Taxable income"),
    "real_estate": gettext_noop("Real estate"),
    "vehicles": gettext_noop("Vehicles"),
    "financial_assets": gettext_noop("Deposits and securities"),
    "businesses": gettext_noop("Business registrations"),
    "housing_fund": gettext_noop("Housing provident fund"),
    "medical_oop": gettext_noop("Medical out-of-pocket spending (12 months)"),
    "disability_certs": gettext_noop("Disability certificate"),
    "elderly_capability": gettext_noop("Elderly capability assessment"),
    "enrolments": gettext_noop("Assistance enrolments"),
    "children_registry": gettext_noop("Children's registry"),
}
COLUMNS = {
    "household_id": gettext_noop("hukou number"),
    "relation": gettext_noop("relation to the head"),
    "marital_status": gettext_noop("marital status"),
    "status": gettext_noop("status"),
    "school_stage": gettext_noop("school stage"),
    "death_date": gettext_noop("date of death"),
    "employer_code": gettext_noop("employer"),
    "monthly_wage": gettext_noop("monthly wage"),
    "employment_start": gettext_noop("employed since"),
    "insured": gettext_noop("insured"),
    "scheme": gettext_noop("scheme"),
    "monthly_amount": gettext_noop("monthly amount"),
    "registered_date": gettext_noop("registered on"),
    "monthly_benefit": gettext_noop("monthly benefit"),
    "tax_year": gettext_noop("tax year"),
    "wage_monthly": gettext_noop("wages per month"),
    "business_monthly": gettext_noop("business income per month"),
    "property_monthly": gettext_noop("property income per month"),
    "property_id": gettext_noop("certificate"),
    "use": gettext_noop("use"),
    "floor_area_m2": gettext_noop("floor area (m²)"),
    "plate": gettext_noop("plate"),
    "vehicle_type": gettext_noop("vehicle type"),
    "exempt": gettext_noop("exempt from the means test"),
    "institution": gettext_noop("institution"),
    "kind": gettext_noop("kind"),
    "balance": gettext_noop("balance"),
    "credit_code": gettext_noop("credit code"),
    "registered_capital": gettext_noop("registered capital"),
    "monthly_contribution": gettext_noop("monthly contribution"),
    "month": gettext_noop("month"),
    "oop_amount": gettext_noop("out-of-pocket amount"),
    "cert_no": gettext_noop("certificate number"),
    "grade": gettext_noop("grade"),
    "issued_date": gettext_noop("issued on"),
    "assessed_date": gettext_noop("assessed on"),
    "programme": gettext_noop("programme"),
    "start_date": gettext_noop("since"),
    "category": gettext_noop("category"),
    "father_status": gettext_noop("father"),
    "mother_status": gettext_noop("mother"),
    "placement": gettext_noop("placement"),
}
VALUES = {
    "head": gettext_noop("head"),
    "spouse": gettext_noop("spouse"),
    "child": gettext_noop("child"),
    "parent": gettext_noop("parent"),
    "grandchild": gettext_noop("grandchild"),
    "married": gettext_noop("married"),
    "unmarried": gettext_noop("unmarried"),
    "widowed": gettext_noop("widowed"),
    "divorced": gettext_noop("divorced"),
    "normal": gettext_noop("normal"),
    "prison": gettext_noop("in prison"),
    "drug_rehab": gettext_noop("in drug rehabilitation"),
    "clergy_away": gettext_noop("clergy away"),
    "missing": gettext_noop("missing"),
    "residential": gettext_noop("residential"),
    "commercial": gettext_noop("commercial"),
    "deposit": gettext_noop("deposit"),
    "securities": gettext_noop("securities"),
    "car": gettext_noop("car"),
    "motorcycle": gettext_noop("motorcycle"),
    "disability": gettext_noop("disability vehicle"),
    "employee": gettext_noop("urban employee"),
    "resident": gettext_noop("urban-rural resident"),
    "individual": gettext_noop("individual business"),
    "company": gettext_noop("company"),
    "active": gettext_noop("active"),
    "revoked": gettext_noop("revoked"),
    "physical": gettext_noop("physical"),
    "visual": gettext_noop("visual"),
    "hearing": gettext_noop("hearing"),
    "speech": gettext_noop("speech"),
    "intellectual": gettext_noop("intellectual"),
    "mental": gettext_noop("mental"),
    "multiple": gettext_noop("multiple"),
    "eligible": gettext_noop("eligible"),
    "ineligible": gettext_noop("ineligible"),
    "gradual_exit": gettext_noop("gradual exit"),
    "single_person": gettext_noop("single-person household"),
}


def value_text(value: Any, translate) -> str:
    """A line's value for a reader: booleans as yes/no, codes translated, empty as —."""
    if value is True:
        return translate(gettext_noop("yes"))
    if value is False:
        return translate(gettext_noop("no"))
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and value in VALUES:
        return translate(VALUES[value])
    return str(value)
