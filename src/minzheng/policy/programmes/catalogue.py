"""The rest of the social-assistance catalogue (issue #5): 低边, 特困, 临时救助, children,
the two disability subsidies and the elderly allowance. Same conventions as 低保."""

from __future__ import annotations

from minzheng.policy.formula import cases, greatest, ifelse, least, literal
from minzheng.policy.rules import HOUSEHOLD, MONEY, PERSON, Programme

COVERED = ["eligible", "gradual_exit"]
PARENT_GONE = ["deceased", "missing"]
PARENT_UNABLE = ["deceased", "missing", "prison", "severe_disability", "serious_illness", "rehab"]


def _zero():
    return literal(0, MONEY)


def _status(flag):
    return ifelse(flag, "eligible", "ineligible")


def household_summary(
    programme: Programme, *, members: str, amount: str, reference: str, months: int = 1
) -> None:
    """The household rules of a programme paid to persons: its status (eligible when a member
    is) and its monthly amount (the members' amounts, divided by `months`, rounded once), and
    what `explain` reports."""

    def status(v):
        return _status(v.any(members))

    def monthly_amount(v):
        return v.divide_round(v.sum(amount), months)

    status.__name__ = f"{programme.name}_status"
    monthly_amount.__name__ = f"{programme.name}_monthly_amount"
    programme.rule(HOUSEHOLD, "str", label=f"{programme.label}认定结果", reference=reference)(
        status
    )
    programme.rule(
        HOUSEHOLD,
        "amount",
        label=f"{programme.label}月金额",
        unit="yuan/month",
        reference=reference,
    )(monthly_amount)
    programme.outputs = {
        "status": status.__name__,
        "monthly_amount": monthly_amount.__name__,
        "members": members,
    }
    programme.person_amount = (amount, months)


# --- 低边 ----------------------------------------------------------------------------------
dibian = Programme("dibian", "最低生活保障边缘家庭")
REF_DIBIAN = "浙江省最低生活保障边缘家庭认定办法"


@dibian.rule(
    HOUSEHOLD,
    "bool",
    label="低边家庭",
    reference=f"{REF_DIBIAN}：非低保，人均收入低于 dibian.income_multiple 倍标准，人均金融资产不超过 dibian.asset_limit_months 个月标准，车辆、商业用房、住房条件同低保",
)
def dibian_eligible(v):
    standard = v.param("dibao.standard_monthly")
    n = v.members_counted
    return (
        ~v.dibao_status.isin(COVERED)
        & (n > 0)
        & (v.income_after_rigid_x12 < 12 * v.param("dibian.income_multiple") * standard * n)
        & (
            v.sum("financial_assets", where="counted")
            <= v.param("dibian.asset_limit_months") * standard * n
        )
        & v.vehicles_ok
        & v.commercial_ok
        & v.housing_ok
    )


@dibian.rule(HOUSEHOLD, "str", label="低边认定结果", reference=REF_DIBIAN)
def dibian_status(v):
    return _status(v.dibian_eligible)


@dibian.rule(PERSON, "bool", label="低边家庭成员", reference=REF_DIBIAN)
def dibian_member(v):
    return v.counted & v.household("dibian_eligible")


dibian.outputs = {"status": "dibian_status", "members": "dibian_member"}

# --- 特困 ----------------------------------------------------------------------------------
tekun = Programme("tekun", "特困人员救助供养")
REF_TEKUN = "浙江省特困人员救助供养办法"


@tekun.rule(
    PERSON,
    "bool",
    label="无劳动能力",
    reference=f"{REF_TEKUN}：60 周岁以上、16 周岁以下、一二级残疾或三级智力精神残疾",
)
def no_labour_capacity(v):
    grade = v.disability_grade
    return (
        (v.age >= 60)
        | (v.age < 16)
        | ((grade >= 1) & (grade <= 2))
        | ((grade == 3) & v.disability_kind.isin(["intellectual", "mental"]))
    )


@tekun.rule(PERSON, "bool", label="孤儿", reference="孤儿认定：父母均死亡或宣告失踪")
def child_orphan(v):
    return (v.age < 18) & v.father_status.isin(PARENT_GONE) & v.mother_status.isin(PARENT_GONE)


@tekun.rule(
    PERSON,
    "bool",
    label="特困人员",
    reference=f"{REF_TEKUN}：无劳动能力、无生活来源（本人收入低于低保标准）、财产符合、无法定义务人或义务人无能力，孤儿除外",
)
def tekun_entitled(v):
    standard = v.param("dibao.standard_monthly")
    return (
        v.counted
        & v.no_labour_capacity
        & (v.counted_income < standard)
        & (v.financial_assets <= v.param("dibao.asset_limit_months") * standard)
        & ~v.supporter_capable
        & ~v.child_orphan
    )


@tekun.rule(
    PERSON,
    "money",
    label="特困供养金额（个人）",
    unit="yuan/month",
    reference=f"{REF_TEKUN}：基本生活 tekun.basic_multiple × 标准，照料护理按能力等级 × 最低工资",
)
def tekun_person_amount(v):
    grade = v.capability_grade
    share = cases(
        (grade <= 1, v.param("tekun.care_share_self")),
        (grade <= 3, v.param("tekun.care_share_partial")),
        else_=v.param("tekun.care_share_full"),
    )
    amount = v.param("tekun.basic_multiple") * v.param("dibao.standard_monthly") + share * v.param(
        "common.minimum_wage_monthly"
    )
    return ifelse(v.tekun_entitled, amount, _zero())


household_summary(
    tekun, members="tekun_entitled", amount="tekun_person_amount", reference=REF_TEKUN
)

# --- children ------------------------------------------------------------------------------
child = Programme("child", "孤儿、事实无人抚养儿童和困境儿童保障")
REF_CHILD = "浙江省孤儿、事实无人抚养儿童、困境儿童基本生活保障"


@child.rule(
    PERSON,
    "str",
    label="儿童保障类别",
    reference=f"{REF_CHILD}：依次认定孤儿、事实无人抚养儿童、困境儿童",
)
def child_category(v):
    under18 = v.age < 18
    de_facto = v.father_status.isin(PARENT_UNABLE) & v.mother_status.isin(PARENT_UNABLE)
    grade = v.disability_grade
    difficulty = (
        v.household("dibao_status").isin(COVERED)
        | v.tekun_entitled
        | ((grade >= 1) & (grade <= 2))
        | v.serious_illness
    )
    return cases(
        (under18 & v.child_orphan, "orphan"),
        (under18 & de_facto, "de_facto_unsupported"),
        (under18 & difficulty, "kunjing"),
        else_="",
    )


@child.rule(
    PERSON,
    "money",
    label="儿童保障年金额（个人）",
    unit="yuan/year",
    reference=f"{REF_CHILD}：集中供养孤儿标准；散居孤儿与事实无人抚养儿童 child.orphan_family_share；困境儿童 child.kunjing_share",
)
def child_yearly_amount(v):
    full = v.param("child.orphan_institution_yearly")
    family = v.param("child.orphan_family_share") * full
    return cases(
        ((v.child_category == "orphan") & (v.placement == "institution"), full),
        (v.child_category == "orphan", family),
        (v.child_category == "de_facto_unsupported", family),
        (v.child_category == "kunjing", v.param("child.kunjing_share") * full),
        else_=_zero(),
    )


@child.rule(PERSON, "bool", label="儿童保障对象", reference=REF_CHILD)
def child_beneficiary(v):
    return v.child_category != ""


household_summary(
    child,
    members="child_beneficiary",
    amount="child_yearly_amount",
    months=12,
    reference=f"{REF_CHILD}：月金额 = 年金额 / 12",
)

# --- 残疾人两项补贴 -------------------------------------------------------------------------
disability = Programme("disability", "残疾人两项补贴")
REF_DIS = "浙江省困难残疾人生活补贴和重度残疾人护理补贴制度"


@disability.rule(
    PERSON,
    "money",
    label="困难残疾人生活补贴",
    unit="yuan/month",
    reference=f"{REF_DIS}：低保（含单人户施保本人）或低边家庭的持证残疾人，disability.living_share × 标准；特困供养人员除外",
)
def disability_living(v):
    status = v.household("dibao_status")
    in_assistance = (
        status.isin(COVERED)
        | ((status == "single_person") & v.dibao_beneficiary)
        | v.household("dibian_eligible")
    )
    qualifies = (v.disability_grade >= 1) & ~v.tekun_entitled & in_assistance
    return ifelse(
        qualifies, v.param("disability.living_share") * v.param("dibao.standard_monthly"), _zero()
    )


@disability.rule(
    PERSON,
    "money",
    label="重度残疾人护理补贴",
    unit="yuan/month",
    reference=f"{REF_DIS}：一级 disability.care_share_grade1、二级 disability.care_share_grade2、三级智力精神 disability.care_share_grade3_mental × 标准，不论收入；特困供养人员除外",
)
def disability_care(v):
    grade = v.disability_grade
    share = cases(
        (grade == 1, v.param("disability.care_share_grade1")),
        (grade == 2, v.param("disability.care_share_grade2")),
        (
            (grade == 3) & v.disability_kind.isin(["intellectual", "mental"]),
            v.param("disability.care_share_grade3_mental"),
        ),
        else_=_zero(),
    )
    return ifelse(v.tekun_entitled, _zero(), share * v.param("dibao.standard_monthly"))


@disability.rule(PERSON, "bool", label="两项补贴对象", reference=REF_DIS)
def disability_beneficiary(v):
    return (v.disability_living > 0) | (v.disability_care > 0)


@disability.rule(
    PERSON, "money", label="两项补贴合计（个人）", unit="yuan/month", reference=REF_DIS
)
def disability_person_amount(v):
    return v.disability_living + v.disability_care


household_summary(
    disability,
    members="disability_beneficiary",
    amount="disability_person_amount",
    reference=REF_DIS,
)

# --- 高龄津贴 -------------------------------------------------------------------------------
elderly = Programme("elderly", "高龄津贴")
REF_ELDERLY = "浙江省高龄津贴（各市自定标准）"


@elderly.rule(
    PERSON,
    "money",
    label="高龄津贴（个人）",
    unit="yuan/month",
    reference=f"{REF_ELDERLY}：80–89、90–99、100 周岁以上分档",
)
def elderly_allowance(v):
    return cases(
        (~v.counted, _zero()),
        (v.age >= 100, v.param("elderly.allowance_100")),
        (v.age >= 90, v.param("elderly.allowance_90")),
        (v.age >= 80, v.param("elderly.allowance_80")),
        else_=_zero(),
    )


@elderly.rule(PERSON, "bool", label="高龄津贴对象", reference=REF_ELDERLY)
def elderly_beneficiary(v):
    return v.elderly_allowance > 0


household_summary(
    elderly, members="elderly_beneficiary", amount="elderly_allowance", reference=REF_ELDERLY
)

# --- 养老服务补贴 ---------------------------------------------------------------------------
eldercare = Programme("eldercare", "养老服务补贴")
REF_ELDERCARE = "浙江省困难老年人养老服务补贴（经济困难的失能老年人，按能力等级和收入类别分档）"
# GB/T 42195-2022 capability grades and the subsidy's degrees of disability: 0 能力完好 (none),
# 1 轻度失能 (mild), 2 中度失能 (moderate), 3 重度失能 and 4 完全失能 (both paid as severe).


@eldercare.rule(
    PERSON,
    "str",
    label="养老服务补贴收入类别",
    reference=f"{REF_ELDERCARE}：低保对象（含单人户施保本人）、低边家庭成员；特困供养人员已按能力等级领取照料护理费，不重复享受",
)
def eldercare_income_status(v):
    return cases(
        (v.tekun_entitled, "tekun"),
        (v.dibao_beneficiary, "dibao"),
        (v.dibian_member, "dibian"),
        else_="",
    )


@eldercare.rule(
    PERSON,
    "str",
    label="失能程度（养老服务补贴）",
    reference="GB/T 42195-2022 老年人能力等级：1 轻度失能，2 中度失能，3 重度失能，4 完全失能（按重度失能计）",
)
def eldercare_care_level(v):
    grade = v.capability_grade
    return cases(
        (grade >= 3, "severe"),
        (grade == 2, "moderate"),
        (grade == 1, "mild"),
        else_="",
    )


@eldercare.rule(
    PERSON,
    "bool",
    label="养老服务补贴对象",
    reference=f"{REF_ELDERCARE}：eldercare.min_age 周岁以上、能力等级不低于 eldercare.min_grade 级（至少轻度失能）的低保对象或低边家庭成员",
)
def eldercare_entitled(v):
    return (
        v.counted
        & (v.age >= v.param("eldercare.min_age"))
        & (v.capability_grade >= v.param("eldercare.min_grade"))
        & (v.capability_grade >= 1)
        & v.eldercare_income_status.isin(["dibao", "dibian"])
    )


@eldercare.rule(
    PERSON,
    "money",
    label="养老服务补贴（个人）",
    unit="yuan/month",
    reference=f"{REF_ELDERCARE}：低保对象按失能程度 eldercare.amount_mild、eldercare.amount_moderate、eldercare.amount_severe；低边家庭成员 eldercare.dibian_share × 上述标准",
)
def eldercare_person_amount(v):
    level = v.eldercare_care_level
    amount = cases(
        (level == "severe", v.param("eldercare.amount_severe")),
        (level == "moderate", v.param("eldercare.amount_moderate")),
        else_=v.param("eldercare.amount_mild"),
    )
    amount = ifelse(
        v.eldercare_income_status == "dibian", v.param("eldercare.dibian_share") * amount, amount
    )
    return ifelse(v.eldercare_entitled, amount, _zero())


household_summary(
    eldercare,
    members="eldercare_entitled",
    amount="eldercare_person_amount",
    reference=REF_ELDERCARE,
)

# --- 临时救助 -------------------------------------------------------------------------------
linshi = Programme("linshi", "临时救助")
REF_LINSHI = "浙江省临时救助办法"


@linshi.rule(
    HOUSEHOLD,
    "money",
    label="临时救助金额（未舍入）",
    unit="yuan, one-off",
    reference=f"{REF_LINSHI}：急难型 min(损失, linshi.emergency_max_months × 标准)；支出型 min(max(0, 支出 − linshi.expenditure_income_share × 12 × 月收入) × linshi.support_rate, linshi.max_months × 标准)；合计不超过 linshi.max_months × 标准；须符合低边财产条件",
)
def linshi_amount_raw(v):
    standard = v.param("dibao.standard_monthly")
    cap = v.param("linshi.max_months") * standard
    emergency = least(v.emergency_loss, v.param("linshi.emergency_max_months") * standard)
    spending = v.sum("rigid_expenditure_12m", where="counted")
    excess = greatest(
        _zero(), spending - v.param("linshi.expenditure_income_share") * 12 * v.household_income
    )
    expenditure = least(excess * v.param("linshi.support_rate"), cap)
    assets_ok = (
        v.sum("financial_assets", where="counted")
        <= v.param("dibian.asset_limit_months") * standard * v.members_counted
    )
    return ifelse(assets_ok & (v.members_counted > 0), least(emergency + expenditure, cap), _zero())


@linshi.rule(
    HOUSEHOLD, "amount", label="临时救助金额（一次性）", unit="yuan, one-off", reference=REF_LINSHI
)
def linshi_one_off_amount(v):
    return v.divide_round(v.linshi_amount_raw, 1)


@linshi.rule(HOUSEHOLD, "str", label="临时救助认定结果", reference=REF_LINSHI)
def linshi_status(v):
    return _status(v.linshi_amount_raw > 0)


linshi.outputs = {"status": "linshi_status", "one_off_amount": "linshi_one_off_amount"}
