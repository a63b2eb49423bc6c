"""The code lists shipped with the platform (DOMAIN.md §2), loaded by a data migration and by `load_code_lists`.

Rows are (code, Chinese name, English name, flags). Flags carry what the rules need:
* cause.marginal: the cause qualifies a household for the marginal test (Standard A);
* cause.accident: the cause is a sudden event (accident tests of both standards);
* cause.evidence: evidence codes the cause needs on file;
* income_type.counts: the income counts towards household income;
* expense_kind.group: which expense group the kind belongs to;
* health.serious: a serious disease for the need score and the accident tests;
* work_status.no_job: a working-age able-bodied member with this status is imputed the minimum wage.
"""

from __future__ import annotations

LISTS: dict[str, list[tuple]] = {
    "work_status": [
        ("employed", "在岗", "Employed", {}),
        ("laid_off", "下岗", "Laid off", {"no_job": True}),
        ("unemployed", "失业", "Unemployed", {"no_job": True}),
        ("retired", "退休", "Retired", {}),
        ("sick_leave", "病休", "On sick leave", {}),
        ("early_retired", "内退", "Internal early retirement", {}),
        ("migrant", "农民工", "Migrant worker", {}),
        ("none", "无业", "Not working", {"no_job": True}),
    ],
    "health": [
        ("good", "良好", "Good", {}),
        ("cancer", "恶性肿瘤", "Malignant tumour", {"serious": True}),
        ("cardiovascular", "心血管病", "Cardiovascular disease", {"serious": True}),
        ("cerebrovascular", "脑血管病", "Cerebrovascular disease", {"serious": True}),
        ("renal", "终末期肾病", "End-stage renal disease", {"serious": True}),
        ("mental", "精神病", "Mental illness", {"serious": True}),
        ("liver", "肝病", "Liver disease", {"serious": True}),
        ("blood", "血液病", "Blood disease", {"serious": True}),
        ("diabetes", "糖尿病", "Diabetes", {}),
        ("other_chronic", "其他慢性病", "Other chronic disease", {}),
        ("disabled", "残疾", "Disabled", {}),
    ],
    "disability_type": [
        ("visual", "视力", "Visual", {}),
        ("hearing", "听力", "Hearing", {}),
        ("speech", "言语", "Speech", {}),
        ("intellectual", "智力", "Intellectual", {}),
        ("physical", "肢体", "Physical", {}),
        ("psychiatric", "精神", "Psychiatric", {}),
        ("multiple", "多重", "Multiple", {}),
    ],
    "housing": [
        ("public_rent", "承租公房", "Rented public housing", {}),
        ("low_rent", "廉租房", "Low-rent housing", {}),
        ("owned", "自购房", "Bought home", {}),
        ("no_home", "无房", "No home", {}),
        ("rented", "租房", "Rented", {}),
        ("self_built", "自建房", "Self-built home", {}),
        ("other", "其他", "Other", {}),
    ],
    "marital": [
        ("married", "已婚", "Married", {}),
        ("single", "未婚", "Never married", {}),
        ("divorced", "离异", "Divorced", {}),
        ("widowed", "丧偶", "Widowed", {}),
    ],
    "hukou": [
        ("non_agri", "非农业", "Non-agricultural", {}),
        ("agri", "农业", "Agricultural", {}),
        ("converted", "农转居", "Converted to urban", {}),
    ],
    "cause": [
        ("1", "无劳动能力", "No ability to work", {"evidence": ["id_hukou", "income_cert"]}),
        ("2", "有劳动能力但未就业", "Able to work but not employed", {"evidence": ["id_hukou", "income_cert"]}),
        ("3", "下岗失业", "Laid off / unemployed", {"marginal": True, "evidence": ["id_hukou", "income_cert"]}),
        ("4", "未参加社会保险", "Not covered by social insurance", {"evidence": ["id_hukou"]}),
        ("5", "社会保险待遇未落实", "Insurance benefits not delivered", {"evidence": ["id_hukou"]}),
        ("6", "重大疾病", "Serious disease",
         {"marginal": True, "accident": True, "evidence": ["id_hukou", "diagnosis", "medical_receipts"]}),
        ("7", "自然灾害", "Natural disaster",
         {"marginal": True, "accident": True, "evidence": ["id_hukou", "accident_proof", "accident_bills"]}),
        ("8", "意外事故", "Accident",
         {"marginal": True, "accident": True, "evidence": ["id_hukou", "accident_proof", "accident_bills"]}),
        ("9", "子女教育", "Children's schooling",
         {"marginal": True, "evidence": ["id_hukou", "student_card", "school_fees"]}),
        ("10", "其他", "Other", {"evidence": ["id_hukou"]}),
        ("11", "残疾", "Disability", {"marginal": True, "evidence": ["id_hukou", "disability_cert"]}),
        ("12", "单亲家庭", "Single parent", {"marginal": True, "evidence": ["id_hukou"]}),
    ],
    "evidence": [
        ("id_hukou", "身份证和户口簿", "ID card and household register", {}),
        ("income_cert", "上年度工资流水或单位收入证明",
         "Last year's wage statements or employer income certificate", {}),
        ("dibao_cert", "民政低保证", "Civil-affairs minimum-living certificate", {}),
        ("diagnosis", "二级以上医院诊断证明", "Diagnosis from a grade-2+ hospital", {}),
        ("medical_receipts", "一年内自付医疗票据", "A year of out-of-pocket medical receipts", {}),
        ("disability_cert", "残疾证", "Disability certificate", {}),
        ("accident_proof", "公安或民政部门证明", "Police or civil-affairs proof", {}),
        ("accident_bills", "事故或灾害支出票据", "Receipts for accident or disaster costs", {}),
        ("student_card", "学生证或录取通知书", "Student card or admission letter", {}),
        ("school_fees", "学费票据", "School-fee receipts", {}),
        ("labour_contract", "一年以上劳动合同", "Labour contract of one year or more", {}),
        ("consent_scan", "签字的授权书或同意书", "Signed authorisation or consent", {}),
        ("other", "其他材料", "Other document", {}),
    ],
    "income_type": [
        ("wage", "工资性收入", "Wages", {"counts": True}),
        ("business", "经营性收入", "Business income", {"counts": True}),
        ("pension", "养老金", "Pension", {"counts": True}),
        ("unemployment", "失业保险金", "Unemployment benefit", {"counts": True}),
        ("support", "赡养费、抚养费、扶养费", "Alimony and support received", {"counts": True}),
        ("compensation", "赔偿金", "Compensation", {"counts": True}),
        ("rent", "租金收入", "Rent", {"counts": True}),
        ("interest", "利息", "Interest", {"counts": True}),
        ("dividend", "股息红利", "Dividends", {"counts": True}),
        ("gift", "赠与", "Gifts", {"counts": True}),
        ("union_relief", "工会救助", "Union relief received", {"counts": True}),
        ("basic_pension", "城乡居民基础养老金", "Basic residents' pension", {"counts": False}),
        ("other", "其他收入", "Other income", {"counts": True}),
    ],
    "expense_kind": [
        ("medical", "自付医疗费", "Out-of-pocket medical costs", {"group": "rigid"}),
        ("education", "教育费", "Education costs", {"group": "rigid"}),
        ("rehabilitation", "残疾康复费", "Disability rehabilitation costs", {"group": "rigid"}),
        ("disaster", "灾害损失支出", "Disaster costs", {"group": "accident"}),
        ("accident", "事故支出", "Accident costs", {"group": "accident"}),
        ("compensation", "获得的赔偿", "Compensation received", {"group": "offset"}),
        ("insurance", "保险理赔", "Insurance paid out", {"group": "offset"}),
        ("aid", "获得的救助", "Aid received", {"group": "offset"}),
    ],
    "relation": [
        ("self", "本人", "Self (head)", {}),
        ("spouse", "配偶", "Spouse", {}),
        ("child", "子女", "Child", {}),
        ("parent", "父母", "Parent", {}),
        ("parent_in_law", "岳父母或公婆", "Parent-in-law", {}),
        ("grandchild", "孙子女或外孙子女", "Grandchild", {}),
        ("sibling", "兄弟姐妹", "Sibling", {}),
        ("other", "其他", "Other", {}),
    ],
    "ethnicity": [
        ("01", "汉族", "Han", {}), ("02", "蒙古族", "Mongol", {}), ("03", "回族", "Hui", {}),
        ("04", "藏族", "Tibetan", {}), ("05", "维吾尔族", "Uyghur", {}), ("06", "苗族", "Miao", {}),
        ("07", "彝族", "Yi", {}), ("08", "壮族", "Zhuang", {}), ("09", "布依族", "Buyei", {}),
        ("10", "朝鲜族", "Korean", {}), ("11", "满族", "Manchu", {}), ("12", "侗族", "Dong", {}),
        ("13", "瑶族", "Yao", {}), ("14", "白族", "Bai", {}), ("15", "土家族", "Tujia", {}),
        ("97", "其他", "Other", {}),
    ],
    "political": [
        ("cpc", "中共党员", "CPC member", {}),
        ("league", "共青团员", "Communist Youth League member", {}),
        ("democratic", "民主党派", "Democratic party member", {}),
        ("masses", "群众", "No party affiliation", {}),
    ],
    "employer_type": [
        ("soe", "国有企业", "State-owned enterprise", {}),
        ("collective", "集体企业", "Collective enterprise", {}),
        ("private", "民营企业", "Private enterprise", {}),
        ("foreign", "外资企业", "Foreign-invested enterprise", {}),
        ("public_inst", "机关事业单位", "Government or public institution", {}),
        ("flexible", "灵活就业", "Flexible employment", {}),
        ("none", "无单位", "No employer", {}),
    ],
    "school_stage": [
        ("preschool", "学前", "Pre-school", {}),
        ("primary", "小学", "Primary school", {}),
        ("junior", "初中", "Junior secondary", {}),
        ("senior", "高中", "Senior secondary", {}),
        ("vocational", "中职", "Secondary vocational", {}),
        ("college", "大专", "Junior college", {}),
        ("undergraduate", "本科", "Undergraduate", {}),
        ("graduate", "研究生", "Postgraduate", {}),
    ],
    "medical_insurance": [
        ("employee", "职工医保", "Employees' medical insurance", {}),
        ("resident", "城乡居民医保", "Residents' medical insurance", {}),
        ("none", "未参保", "Not insured", {}),
    ],
    "model_worker": [
        ("national", "全国劳模", "National model worker", {}),
        ("provincial", "省部级劳模", "Provincial model worker", {}),
        ("city", "市级劳模", "City model worker", {}),
        ("none", "非劳模", "Not a model worker", {}),
    ],
    "industry": [
        ("manufacturing", "制造业", "Manufacturing", {}),
        ("construction", "建筑业", "Construction", {}),
        ("mining", "采矿业", "Mining", {}),
        ("transport", "交通运输", "Transport", {}),
        ("retail", "批发零售", "Wholesale and retail", {}),
        ("hospitality", "住宿餐饮", "Hotels and catering", {}),
        ("services", "居民服务", "Household services", {}),
        ("public", "公共管理", "Public administration", {}),
        ("other", "其他", "Other", {}),
    ],
}


def load_code_lists(CodeItem) -> int:
    """Insert missing entries (never overwrites an entry an admin edited). Returns how many were added."""
    existing = set(CodeItem.objects.values_list("code_list", "code"))
    rows = []
    for code_list, items in LISTS.items():
        for order, (code, zh, en, flags) in enumerate(items):
            if (code_list, code) not in existing:
                rows.append(CodeItem(code_list=code_list, code=code, name_zh=zh, name_en=en,
                                     sort_order=order, flags=flags))
    CodeItem.objects.bulk_create(rows)
    return len(rows)
