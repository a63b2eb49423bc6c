"""The recommendation rules shipped with the platform (DOMAIN.md §4; the paper, §2.2 "分类施策"), loaded as
version 1 of each rule by a data migration. They are data: system administrators edit them on the rule pages
(every edit is a new version). Titles, explanations and measure descriptions are in Chinese because they are
what case workers read; `title_en` carries the English title.

This module holds plain data and a loader that takes the model class, so the migration can use it.
"""

from __future__ import annotations

SOURCE = "论文§2.2 分类施策；DOMAIN.md §4"


def _leaf(fact, op, value):
    return {"fact": fact, "op": op, "value": value}


def _cause(code):
    return _leaf("causes", "contains", code)


def _proposal(key, function, kind, description, due_days):
    return {"key": key, "function": function, "kind": kind, "description": description, "due_days": due_days}


RULES = [
    {
        "code": "no_self_help", "priority": 10,
        "title": "无自救能力：政策兜底与常态化救助",
        "title_en": "No ability to self-help: safety net and long-term relief",
        "explanation": "家庭没有自我帮扶能力（无劳动能力的致困原因，或家中没有可以工作的劳动年龄成员），"
                       "应落实政策兜底，并给予长期的、常态化的救助。",
        "condition": {"all": [
            _leaf("some_self_help_ability", "eq", False),
            {"any": [_cause("1"), _leaf("able_to_work_count", "eq", 0)]},
        ]},
        "proposals": [
            _proposal("safety_net", "relief", "safety_net",
                      "协助申请或核实城乡最低生活保障、特困供养等政府兜底保障，跟进民政部门审批结果。", 30),
            _proposal("long_term_relief", "relief", "long_term_relief",
                      "纳入工会常态化帮扶，按月或按季度发放生活救助，并定期走访了解生活状况。", 30),
        ],
    },
    {
        "code": "able_to_work", "priority": 20,
        "title": "有劳动能力：就业帮扶", "title_en": "Able to work: help into work",
        "explanation": "家中有劳动能力但没有工作的成员（或致困原因为有劳动能力未就业、下岗失业），"
                       "通过就业和创业实现脱困。",
        "condition": {"any": [_leaf("jobless_able_count", "gt", 0), _cause("2"), _cause("3")]},
        "proposals": [
            _proposal("job_information", "service", "job_information",
                      "推送适合的就业岗位信息，推荐参加工会和人社部门的招聘活动。", 14),
            _proposal("skills_training", "service", "skills_training",
                      "根据本人意愿安排免费职业技能培训，培训后跟踪就业情况。", 60),
            _proposal("startup_support", "service", "startup_support",
                      "有创业意愿的，提供创业指导、创业担保贷款和场地等扶持政策咨询。", 90),
        ],
    },
    {
        "code": "students", "priority": 30,
        "title": "家有在读学生：助学帮扶", "title_en": "Students in the family: school aid",
        "explanation": "家庭收入低且有就学子女，着重落实助学帮扶：国家“奖、助、贷、勤、减、免”助学政策和工会金秋助学。",
        "condition": {"any": [_leaf("student_count", "gt", 0), _cause("9")]},
        "proposals": [
            _proposal("school_aid", "relief", "school_aid",
                      "协助申请国家奖助学金、助学贷款、勤工助学和学费减免，纳入工会金秋助学对象。", 30),
        ],
    },
    {
        "code": "graduates", "priority": 35,
        "title": "学生即将毕业：延长助学链、帮助就业", "title_en": "Students about to graduate: job placement",
        "explanation": "在读职业学校或高校的子女今年或明年毕业，通过与企业联合助学等方式延长助学链，"
                       "帮助其顺利就业，以子女就业带动家庭脱困。",
        "condition": _leaf("graduating_student_count", "gt", 0),
        "proposals": [
            _proposal("graduate_placement", "service", "graduate_placement",
                      "毕业前对接用人单位和工会就业服务，推荐实习和就业岗位，跟踪到稳定就业。", 90),
        ],
    },
    {
        "code": "serious_illness", "priority": 40,
        "title": "大病：医疗保障与阶段性救助", "title_en": "Serious illness: medical cover and temporary relief",
        "explanation": "家中有人患重大疾病，主要推动纳入国家医疗保险兜底；超出承受能力、造成家庭暂时困难的，"
                       "工会提供资金和物资救助，缓解阶段性困难。",
        "condition": {"any": [_leaf("serious_illness_count", "gt", 0), _cause("6")]},
        "proposals": [
            _proposal("illness_medical_insurance", "rights", "medical_insurance",
                      "核实并协助参加基本医疗保险和大病保险，落实医疗救助和报销待遇。", 30),
            _proposal("illness_mutual_aid", "service", "mutual_aid",
                      "协助参加职工医疗互助，并申请互助金补助。", 30),
            _proposal("illness_temporary_funds", "relief", "temporary_funds",
                      "在治疗最困难的阶段发放工会临时救助金和慰问物资。", 14),
        ],
    },
    {
        "code": "social_insurance_rights", "priority": 50,
        "title": "社会保险未参加或待遇未落实：维权帮扶",
        "title_en": "Social insurance missing or benefits not delivered: rights protection",
        "explanation": "致困原因为未参加社会保险或社会保险待遇未落实，工会提供政策咨询和法律援助，维护职工合法权益。",
        "condition": {"any": [_cause("4"), _cause("5")]},
        "proposals": [
            _proposal("social_insurance_legal_aid", "rights", "legal_aid",
                      "提供社会保险政策咨询，协调用人单位补缴或落实待遇；必要时提供法律援助。", 30),
        ],
    },
    {
        "code": "disability", "priority": 60,
        "title": "残疾：补贴与康复服务", "title_en": "Disability: allowances and rehabilitation services",
        "explanation": "家中有残疾人（或致困原因为残疾），协助落实残疾人补贴，对接康复和就业服务。",
        "condition": {"any": [_leaf("disabled_count", "gt", 0), _cause("11")]},
        "proposals": [
            _proposal("disability_allowance", "relief", "safety_net",
                      "协助申请困难残疾人生活补贴和重度残疾人护理补贴（两项补贴）。", 30),
            _proposal("disability_services", "service", "other",
                      "对接残联的康复、辅具适配和就业援助服务。", 60),
        ],
    },
    {
        "code": "accident", "priority": 70,
        "title": "意外致困：临时救助", "title_en": "Accident or disaster: temporary relief",
        "explanation": "因自然灾害或意外事故致困，属于突发性困难，工会应及时提供临时救助。",
        "condition": {"any": [_cause("7"), _cause("8")]},
        "proposals": [
            _proposal("accident_temporary_funds", "relief", "temporary_funds",
                      "及时发放工会临时救助金和生活物资，协助申请政府临时救助和保险理赔。", 7),
        ],
    },
    {
        "code": "single_parent", "priority": 80,
        "title": "单亲家庭：关爱服务", "title_en": "Single-parent family: care",
        "explanation": "单亲家庭抚养负担重，工会提供关爱走访、子女托管和心理关怀等服务。",
        "condition": {"any": [_leaf("single_parent", "eq", True), _cause("12")]},
        "proposals": [
            _proposal("single_parent_care", "service", "care",
                      "定期关爱走访，对接子女托管和心理关怀服务。", 30),
        ],
    },
]


def load_rules(RecommendationRule) -> int:
    """Write version 1 of every shipped rule whose code has no row yet (never touches an edited rule)."""
    existing = set(RecommendationRule.objects.values_list("code", flat=True))
    rows = [RecommendationRule(version=1, is_current=True, is_active=True, source=SOURCE, **rule)
            for rule in RULES if rule["code"] not in existing]
    RecommendationRule.objects.bulk_create(rows)
    return len(rows)
