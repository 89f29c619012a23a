"""救助“一件事”: one household, every entitlement, and referrals to other departments."""

from __future__ import annotations

from minzheng.policy.rules import HOUSEHOLD, PERSON, Programme

bundle = Programme("bundle", "救助“一件事”")
REF = "浙江省社会救助“一件事”联办：低保、特困、低边对象同步转介医疗、教育、住房、就业救助"
COVERED_DIBAO = ["eligible", "gradual_exit", "single_person"]


@bundle.rule(PERSON, "bool", label="低保、特困或低边对象", reference=REF)
def assisted(v):
    return v.dibao_beneficiary | v.tekun_entitled | v.dibian_member


@bundle.rule(HOUSEHOLD, "bool", label="低保、特困或低边家庭", reference=REF)
def assisted_household(v):
    return v.any("assisted")


@bundle.rule(PERSON, "bool", label="转介医疗救助", reference=f"{REF}：低保、特困、低边对象")
def referral_medical(v):
    return v.assisted


@bundle.rule(PERSON, "bool", label="转介教育救助", reference=f"{REF}：上述家庭中的在校学生")
def referral_education(v):
    return v.counted & v.student & v.household("assisted_household")


@bundle.rule(HOUSEHOLD, "bool", label="转介住房救助", reference=f"{REF}：上述家庭中无住房的")
def referral_housing(v):
    return v.assisted_household & (v.sum("homes", where="counted") == 0)


@bundle.rule(
    PERSON,
    "bool",
    label="转介就业救助",
    reference=f"{REF}：低保或低边家庭中 18–59 周岁、未就业、非一二级残疾的成员",
)
def referral_employment(v):
    grade = v.disability_grade
    in_household = v.household("dibao_status").isin(COVERED_DIBAO) | v.household("dibian_eligible")
    return (
        v.counted
        & (v.age >= 18)
        & (v.age <= 59)
        & ~v.employed
        & ~((grade >= 1) & (grade <= 2))
        & in_household
    )


@bundle.rule(HOUSEHOLD, "int", label="转介医疗救助人数", unit="persons", reference=REF)
def referral_medical_count(v):
    return v.count("referral_medical")


@bundle.rule(HOUSEHOLD, "int", label="转介教育救助人数", unit="persons", reference=REF)
def referral_education_count(v):
    return v.count("referral_education")


@bundle.rule(HOUSEHOLD, "int", label="转介就业救助人数", unit="persons", reference=REF)
def referral_employment_count(v):
    return v.count("referral_employment")


@bundle.rule(
    HOUSEHOLD,
    "amount",
    label="每月救助合计",
    unit="yuan/month",
    reference=f"{REF}：各项月度待遇之和",
)
def bundle_monthly_total(v):
    return (
        v.dibao_monthly_amount
        + v.tekun_monthly_amount
        + v.child_monthly_amount
        + v.disability_monthly_amount
        + v.elderly_monthly_amount
        + v.eldercare_monthly_amount
    )


REFERRALS = {
    "medical": "referral_medical",
    "education": "referral_education",
    "housing": "referral_housing",
    "employment": "referral_employment",
}
bundle.outputs = {
    "monthly_total": "bundle_monthly_total",
    "referral_medical_count": "referral_medical_count",
    "referral_education_count": "referral_education_count",
    "referral_employment_count": "referral_employment_count",
    "referral_housing": "referral_housing",
}
