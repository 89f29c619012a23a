"""最低生活保障 (dibao): the first programme. Steps follow the policy-engine issue (#4)."""

from __future__ import annotations

from minzheng.policy.formula import cases, greatest, ifelse, least, literal
from minzheng.policy.rules import HOUSEHOLD, MONEY, PERSON, Programme

dibao = Programme("dibao", "最低生活保障")
REF = "浙江省最低生活保障办法及实施细则"


def _zero():
    return literal(0, MONEY)


# --- person level ---------------------------------------------------------------------------
@dibao.rule(
    PERSON,
    "money",
    label="计入收入",
    unit="yuan/month",
    reference=f"{REF}：工资、经营、财产、养老金、转移性及其他收入（豁免收入不计）",
)
def counted_income(v):
    return v.wage + v.business + v.property + v.pension + v.transfer + v.other


@dibao.rule(
    PERSON,
    "money",
    label="就业成本扣减",
    unit="yuan/month",
    reference=f"{REF}：就业人员扣减 min(工资, dibao.employment_deduction_share × 标准)",
)
def employment_deduction(v):
    cap = v.param("dibao.employment_deduction_share") * v.param("dibao.standard_monthly")
    return ifelse(v.employed, least(v.wage, cap), _zero())


@dibao.rule(PERSON, "money", label="扣减后个人收入", unit="yuan/month", reference=REF)
def net_income(v):
    return v.counted_income - v.employment_deduction


@dibao.rule(
    PERSON,
    "money",
    label="个人刚性支出（近12个月）",
    unit="yuan/year",
    reference=f"{REF}：医疗、教育刚性支出",
)
def rigid_expenditure_12m(v):
    return v.medical_oop_12m + v.education_12m


@dibao.rule(PERSON, "money", label="个人金融资产", unit="yuan", reference=f"{REF}：存款与有价证券")
def financial_assets(v):
    return v.deposits + v.securities


@dibao.rule(
    PERSON,
    "bool",
    label="分类施保对象",
    reference=f"{REF}：年满 dibao.increment_elderly_age 岁老人、未成年人、一二级残疾人、重病患者",
)
def increment_member(v):
    grade = v.disability_grade
    return v.counted & (
        (v.age >= v.param("dibao.increment_elderly_age"))
        | (v.age < 18)
        | ((grade >= 1) & (grade <= 2))
        | v.serious_illness
    )


@dibao.rule(
    PERSON,
    "bool",
    label="就业不满渐退期",
    reference=f"{REF}：就业开始未满 dibao.gradual_exit_months 个月",
)
def recently_employed(v):
    months = v.param("dibao.gradual_exit_months").cast("int64")
    started = v.employment_start
    # months between the start and the date, counting a month only when its day is reached
    elapsed = (
        (v.date.year() - started.year()) * 12
        + (v.date.month() - started.month())
        - ifelse(v.date.day() < started.day(), 1, 0)
    )
    return v.counted & started.notnull() & (started <= v.date) & (elapsed < months)


@dibao.rule(
    PERSON,
    "bool",
    label="单人户施保候选人",
    reference=f"{REF}：成年重度残疾人（一二级，或三四级智力、精神残疾）个人收入低于标准",
)
def single_person_candidate(v):
    grade = v.disability_grade
    severe = ((grade >= 1) & (grade <= 2)) | (
        (grade >= 3) & (grade <= 4) & v.disability_kind.isin(["intellectual", "mental"])
    )
    return v.counted & (v.age >= 18) & severe & (v.net_income < v.param("dibao.standard_monthly"))


@dibao.rule(
    PERSON,
    "money",
    label="单人户施保金额（个人）",
    unit="yuan/month",
    reference=f"{REF}：标准减个人扣减后收入，另加分类施保增发",
)
def single_person_amount(v):
    standard = v.param("dibao.standard_monthly")
    increment = ifelse(v.increment_member, v.param("dibao.increment_share") * standard, _zero())
    return ifelse(v.single_person_candidate, standard - v.net_income + increment, _zero())


# --- household level ------------------------------------------------------------------------
@dibao.rule(HOUSEHOLD, "int", label="共同生活家庭成员人数", unit="persons", reference=REF)
def members_counted(v):
    return v.count("counted")


@dibao.rule(
    HOUSEHOLD, "money", label="家庭月收入（扣减就业成本后）", unit="yuan/month", reference=REF
)
def household_income(v):
    return v.sum("net_income", where="counted")


@dibao.rule(
    HOUSEHOLD,
    "money",
    label="家庭可支配收入×12（扣减刚性支出后）",
    unit="yuan/12 months",
    reference=f"{REF}；dibao.rigid_expenditure_deduction 为真时扣减刚性支出；不低于 0",
)
def income_after_rigid_x12(v):
    rigid = v.sum("rigid_expenditure_12m", where="counted")
    deduct = ifelse(v.param("dibao.rigid_expenditure_deduction"), rigid, _zero())
    return greatest(_zero(), v.household_income * 12 - deduct)


@dibao.rule(HOUSEHOLD, "bool", label="收入低于标准", reference=f"{REF}：人均收入低于当地低保标准")
def income_below_standard(v):
    return v.income_after_rigid_x12 < 12 * v.param("dibao.standard_monthly") * v.members_counted


@dibao.rule(
    HOUSEHOLD,
    "bool",
    label="金融资产符合",
    reference=f"{REF}：人均金融资产不超过 dibao.asset_limit_months 个月标准",
)
def assets_ok(v):
    limit = (
        v.param("dibao.asset_limit_months") * v.param("dibao.standard_monthly") * v.members_counted
    )
    return v.sum("financial_assets", where="counted") <= limit


@dibao.rule(
    HOUSEHOLD,
    "bool",
    label="机动车符合",
    reference=f"{REF}：非豁免机动车不超过 dibao.vehicles_allowed",
)
def vehicles_ok(v):
    return v.sum("vehicles", where="counted") <= v.param("dibao.vehicles_allowed")


@dibao.rule(HOUSEHOLD, "bool", label="无商业用房", reference=f"{REF}：不拥有商业用房")
def commercial_ok(v):
    return v.sum("commercial_property", where="counted") == 0


@dibao.rule(HOUSEHOLD, "bool", label="住房符合", reference=f"{REF}：住房不超过 dibao.max_homes 套")
def housing_ok(v):
    return v.sum("homes", where="counted") <= v.param("dibao.max_homes")


@dibao.rule(HOUSEHOLD, "bool", label="财产条件全部符合", reference=REF)
def tests_pass(v):
    return v.assets_ok & v.vehicles_ok & v.commercial_ok & v.housing_ok


@dibao.rule(HOUSEHOLD, "int", label="分类施保人数", unit="persons", reference=REF)
def increment_members(v):
    return v.count("increment_member")


@dibao.rule(HOUSEHOLD, "bool", label="符合低保条件", reference=REF)
def dibao_eligible(v):
    return (v.members_counted > 0) & v.income_below_standard & v.tests_pass


@dibao.rule(
    HOUSEHOLD,
    "bool",
    label="渐退期",
    reference=f"{REF}：在保家庭因就业收入超标，渐退 dibao.gradual_exit_months 个月",
)
def dibao_gradual_exit(v):
    return (
        ~v.dibao_eligible
        & v.enrolled_dibao
        & (v.members_counted > 0)
        & v.tests_pass
        & ~v.income_below_standard
        & v.any("recently_employed")
    )


@dibao.rule(
    HOUSEHOLD,
    "bool",
    label="单人户施保",
    reference=f"{REF}：家庭人均收入不超过 dibao.single_person_income_multiple 倍标准",
)
def dibao_single_person(v):
    limit = 12 * v.param("dibao.single_person_income_multiple") * v.param("dibao.standard_monthly")
    return (
        ~v.dibao_eligible
        & ~v.dibao_gradual_exit
        & (v.members_counted > 0)
        & v.tests_pass
        & (v.income_after_rigid_x12 <= limit * v.members_counted)
        & v.any("single_person_candidate")
    )


@dibao.rule(HOUSEHOLD, "str", label="低保认定结果", reference=REF)
def dibao_status(v):
    return cases(
        (v.members_counted == 0, "ineligible"),
        (v.dibao_eligible, "eligible"),
        (v.dibao_gradual_exit, "gradual_exit"),
        (v.dibao_single_person, "single_person"),
        else_="ineligible",
    )


@dibao.rule(HOUSEHOLD, "str", label="不符合原因", reference=REF)
def dibao_reasons(v):
    failing = v.dibao_status == "ineligible"
    parts = [
        ifelse(failing & (v.members_counted == 0), "no_members,", ""),
        ifelse(
            failing & (v.members_counted > 0) & ~v.income_below_standard,
            "income_above_standard,",
            "",
        ),
        ifelse(failing & ~v.assets_ok, "assets_above_limit,", ""),
        ifelse(failing & ~v.vehicles_ok, "vehicle,", ""),
        ifelse(failing & ~v.commercial_ok, "commercial_property,", ""),
        ifelse(failing & ~v.housing_ok, "housing,", ""),
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.concat(part)
    return joined


@dibao.rule(
    HOUSEHOLD,
    "money",
    label="低保金×12（未舍入）",
    unit="yuan/12 months",
    reference=f"{REF}：(标准−人均收入)×人数 + 增发 dibao.increment_share × 标准 × 分类施保人数",
)
def dibao_amount_x12(v):
    standard = v.param("dibao.standard_monthly")
    n = v.members_counted
    increment = 12 * v.param("dibao.increment_share") * standard * v.increment_members
    return cases(
        (v.dibao_status == "eligible", 12 * standard * n - v.income_after_rigid_x12 + increment),
        (v.dibao_status == "gradual_exit", 12 * v.param("dibao.gradual_exit_share") * standard * n),
        (v.dibao_status == "single_person", 12 * v.sum("single_person_amount")),
        else_=_zero(),
    )


@dibao.rule(
    HOUSEHOLD,
    "amount",
    label="低保月保障金额",
    unit="yuan/month",
    reference=f"{REF}：四舍五入到分，只在最后一步舍入一次",
)
def dibao_monthly_amount(v):
    return v.divide_round(v.dibao_amount_x12, 12)


@dibao.rule(HOUSEHOLD, "amount", label="家庭人均收入", unit="yuan/month", reference=REF)
def per_capita_income(v):
    return v.divide_round(v.income_after_rigid_x12, 12 * v.members_counted)


@dibao.rule(PERSON, "bool", label="低保保障对象", reference=f"{REF}：全户保障或单人户施保的个人")
def dibao_beneficiary(v):
    status = v.household("dibao_status")
    return (v.counted & status.isin(["eligible", "gradual_exit"])) | (
        (status == "single_person") & v.single_person_candidate
    )


dibao.outputs = {
    "status": "dibao_status",
    "monthly_amount": "dibao_monthly_amount",
    "per_capita_income": "per_capita_income",
    "reasons": "dibao_reasons",
    "members": "dibao_beneficiary",
}
