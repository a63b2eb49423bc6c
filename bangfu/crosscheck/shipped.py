"""The shipped government data sources (schemas as data) and cross-check rules (parameters as data).

Loaded by `manage.py load_data_sources` (idempotent: sources are updated in place, a rule is created only when
its code has no version yet, so an administrator's edits are never overwritten).
"""

from __future__ import annotations


def _id(required=True):
    return {"key": "id_number", "type": "id_number", "required": required, "role": "identity",
            "label_zh": "身份证号", "label_en": "ID number",
            "aliases": ["身份证号", "身份证号码", "公民身份号码", "证件号码", "id", "id_number", "id number"]}


def _name():
    return {"key": "name", "type": "text", "required": False, "role": "extra", "mask": "name",
            "label_zh": "姓名", "label_en": "Name", "aliases": ["姓名", "name"]}


DIBAO_KINDS = {"dibao": ["低保", "最低生活保障", "dibao"], "tekun": ["特困", "特困供养", "tekun"]}

SOURCES = [
    {"code": "dibao_roster", "name": "民政低保/特困名册",
     "name_en": "Civil-affairs minimum-living / extreme-poverty roster",
     "department": "民政局", "kind": "roster", "columns": [
         _id(), _name(),
         {"key": "enrolled_on", "type": "date", "required": True, "role": "event_date", "label_zh": "纳入日期",
          "label_en": "Enrolled on", "aliases": ["纳入日期", "认定日期", "enrolled_on", "enrolled on"]},
         {"key": "kind", "type": "code", "required": True, "role": "code", "label_zh": "救助类别",
          "label_en": "Kind", "aliases": ["救助类别", "类别", "kind"], "choices": DIBAO_KINDS},
         {"key": "division", "type": "text", "required": False, "role": "extra", "label_zh": "行政区划",
          "label_en": "Division", "aliases": ["行政区划", "区划代码", "division"]},
     ]},
    {"code": "civil_changes", "name": "民政变动名单", "name_en": "Civil-affairs changes", "department": "民政局",
     "kind": "changes", "columns": [
         _id(), _name(),
         {"key": "change", "type": "code", "required": True, "role": "code", "label_zh": "变动类型",
          "label_en": "Change", "aliases": ["变动类型", "变动", "change"],
          "choices": {"new": ["新增", "new"], "exit": ["退出", "exit"], "death": ["死亡", "death"]}},
         {"key": "changed_on", "type": "date", "required": True, "role": "event_date", "label_zh": "变动日期",
          "label_en": "Date", "aliases": ["变动日期", "日期", "date", "changed_on"]},
     ]},
    {"code": "deaths", "name": "死亡人员名单", "name_en": "Deaths", "department": "民政局/公安局", "kind": "changes",
     "columns": [
         _id(), _name(),
         {"key": "died_on", "type": "date", "required": True, "role": "event_date", "label_zh": "死亡日期",
          "label_en": "Died on", "aliases": ["死亡日期", "died_on", "died on"]},
     ]},
    {"code": "si_contributions", "name": "社会保险缴费记录", "name_en": "Social-insurance contributions",
     "department": "人力资源和社会保障局", "kind": "records", "columns": [
         _id(), _name(),
         {"key": "month", "type": "month", "required": True, "role": "event_date", "label_zh": "缴费月份",
          "label_en": "Month", "aliases": ["缴费月份", "月份", "month"]},
         {"key": "base", "type": "money", "required": True, "role": "amount_fen", "label_zh": "缴费基数",
          "label_en": "Contribution base", "aliases": ["缴费基数", "base", "contribution base"]},
     ]},
    {"code": "si_benefits", "name": "社会保险待遇发放", "name_en": "Social-insurance benefits",
     "department": "人力资源和社会保障局", "kind": "records", "columns": [
         _id(), _name(),
         {"key": "kind", "type": "code", "required": True, "role": "code", "label_zh": "待遇类别",
          "label_en": "Benefit", "aliases": ["待遇类别", "kind", "benefit"],
          "choices": {"pension": ["养老金", "pension"], "unemployment": ["失业金", "失业保险金", "unemployment"],
                      "injury": ["工伤待遇", "injury"], "other": ["其他", "other"]}},
         {"key": "monthly", "type": "money", "required": True, "role": "amount_fen", "label_zh": "月发放金额",
          "label_en": "Monthly amount", "aliases": ["月发放金额", "金额", "monthly", "monthly amount"]},
     ]},
    {"code": "housing_fund", "name": "住房公积金缴存", "name_en": "Housing fund", "department": "住房公积金管理中心",
     "kind": "records", "columns": [
         _id(), _name(),
         {"key": "base", "type": "money", "required": True, "role": "amount_fen", "label_zh": "月缴存基数",
          "label_en": "Monthly deposit base", "aliases": ["月缴存基数", "缴存基数", "base"]},
     ]},
    {"code": "real_estate", "name": "不动产登记", "name_en": "Real estate",
     "department": "自然资源局（不动产登记中心）",
     "kind": "records", "columns": [
         _id(), _name(),
         {"key": "property_kind", "type": "code", "required": True, "role": "code", "label_zh": "房产类型",
          "label_en": "Property kind", "aliases": ["房产类型", "用途", "property_kind", "property kind"],
          "choices": {"residential": ["住宅", "residential"], "shop": ["商铺", "商业", "shop"],
                      "office": ["办公", "写字楼", "office"], "parking": ["车位", "车库", "parking"]}},
         {"key": "count", "type": "int", "required": False, "role": "quantity", "label_zh": "套数",
          "label_en": "Count", "aliases": ["套数", "数量", "count"]},
     ]},
    {"code": "vehicles", "name": "机动车登记", "name_en": "Vehicles", "department": "公安局交通管理部门",
     "kind": "records", "columns": [
         _id(), _name(),
         {"key": "vehicle_kind", "type": "code", "required": True, "role": "code", "label_zh": "车辆类型",
          "label_en": "Vehicle kind", "aliases": ["车辆类型", "vehicle_kind", "vehicle kind"],
          "choices": {"car": ["小型汽车", "汽车", "car"], "motorbike": ["摩托车", "motorbike"],
                      "e_bike": ["电动自行车", "电动车", "e-bike", "e_bike"],
                      "disability": ["残疾人专用车", "残疾人机动轮椅车", "disability"]}},
         {"key": "plate", "type": "text", "required": False, "role": "extra", "mask": "plate", "label_zh": "号牌",
          "label_en": "Plate (masked)", "aliases": ["号牌", "车牌号", "plate"]},
     ]},
    {"code": "business", "name": "市场主体登记", "name_en": "Business registration", "department": "市场监督管理局",
     "kind": "records", "columns": [
         _id(), _name(),
         {"key": "business_kind", "type": "code", "required": True, "role": "code", "label_zh": "主体类型",
          "label_en": "Business kind", "aliases": ["主体类型", "business_kind", "business kind"],
          "choices": {"individual": ["个体工商户", "individual"], "company": ["公司", "企业", "company"],
                      "other": ["其他", "other"]}},
         {"key": "employees", "type": "int", "required": True, "role": "quantity", "label_zh": "从业人数",
          "label_en": "Employees", "aliases": ["从业人数", "雇工人数", "employees"]},
     ]},
    {"code": "tax", "name": "个人所得税", "name_en": "Tax", "department": "税务局", "kind": "records", "columns": [
        _id(), _name(),
        {"key": "year", "type": "int", "required": True, "role": "quantity", "label_zh": "年度", "label_en": "Year",
         "aliases": ["年度", "year"]},
        {"key": "taxable_income", "type": "money", "required": True, "role": "amount_fen", "label_zh": "应纳税所得额",
         "label_en": "Taxable income", "aliases": ["应纳税所得额", "收入额", "taxable_income", "taxable income"]},
    ]},
    {"code": "deposits", "name": "存款及有价证券", "name_en": "Deposits and securities",
     "department": "金融机构（经核对中心）",
     "kind": "records", "columns": [
         _id(), _name(),
         {"key": "asset_kind", "type": "code", "required": True, "role": "code", "label_zh": "资产类型",
          "label_en": "Asset kind", "aliases": ["资产类型", "asset_kind", "asset kind"],
          "choices": {"deposit": ["存款", "deposit"], "securities": ["有价证券", "证券", "securities"]}},
         {"key": "balance", "type": "money", "required": True, "role": "amount_fen", "label_zh": "余额",
          "label_en": "Balance", "aliases": ["余额", "金额", "balance"]},
     ]},
]

# Default parameters; `automatic` is False everywhere: a re-classification changes the category (and what the
# household may be paid), so by default a reviewer looks at it first — a system admin may switch it on.
RULES = [
    {"code": "dibao_new", "title": "新纳入低保/特困：重新分类", "sources": ["dibao_roster", "civil_changes"],
     "severity": "warning", "action": "reclassify", "params": {"kinds": ["dibao", "tekun"]}},
    {"code": "relapse_dibao", "title": "已退出户在返贫监测期内新纳入低保", "sources": ["dibao_roster", "civil_changes"],
     "severity": "critical", "action": "relapse", "params": {"kinds": ["dibao", "tekun"]}},
    {"code": "vehicle", "title": "家庭成员名下有机动车", "sources": ["vehicles"], "severity": "warning",
     "action": "exit_review", "params": {"excluded_kinds": ["motorbike", "e_bike", "disability"]}},
    {"code": "homes", "title": "家庭拥有两套及以上住房", "sources": ["real_estate"], "severity": "warning",
     "action": "exit_review", "params": {"min_homes": 2}},
    {"code": "non_residential", "title": "家庭拥有非住宅类房产", "sources": ["real_estate"], "severity": "warning",
     "action": "exit_review", "params": {"kinds": ["shop", "office", "parking"]}},
    {"code": "business", "title": "登记经营市场主体并雇用他人", "sources": ["business"], "severity": "warning",
     "action": "exit_review", "params": {"min_employees": 1}},
    {"code": "assets", "title": "存款及有价证券超过标准", "sources": ["deposits"], "severity": "warning",
     "action": "exit_review", "params": {"limit_yuan_per_person": 30000}},
    {"code": "death", "title": "家庭成员死亡：家庭人口变化", "sources": ["deaths", "civil_changes"],
     "severity": "warning",
     "action": "size_change", "params": {}},
    {"code": "income", "title": "社保缴费基数高于申报收入", "sources": ["si_contributions"], "severity": "info",
     "action": "income_discrepancy", "params": {"ratio": 1.5, "min_gap_yuan": 500}},
    {"code": "duplicate", "title": "同一身份证号在两个在档档案中", "sources": [], "severity": "critical",
     "action": "duplicate", "params": {}},
    {"code": "possible_duplicate", "title": "疑似同一人（姓名、出生日期、性别相同，证件号不同）", "sources": [],
     "severity": "info", "action": "duplicate", "params": {}},
]


def load(DataSource=None, CheckRule=None) -> tuple[int, int]:  # noqa: N803 - the migration passes its models
    if DataSource is None or CheckRule is None:
        from bangfu.crosscheck.models import CheckRule, DataSource

    for row in SOURCES:
        DataSource.objects.update_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
    created = 0
    for row in RULES:
        if not CheckRule.objects.filter(code=row["code"]).exists():
            CheckRule.objects.create(version=1, is_current=True, note="shipped default", **row)
            created += 1
    return len(SOURCES), created
