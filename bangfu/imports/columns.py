"""The import template: one row per person, Chinese headers (DOMAIN.md §2).

Each column: (key, Chinese header, aliases, kind, code list, where). `where` is "member" (read on every
row), "household" (read on the head's row only) or "key" (the head's ID number on every row). `kind`
tells the normaliser how to read the cell. The order here is the template's order.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    kind: str  # text | code | date | amount | bool | int | identity | doctype | sex | causes | division | org
    code_list: str = ""
    where: str = "member"
    required: bool = False
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", ("编号", "行号"), "text", where="ignore",
           help=str(_("Free; a row whose 序号 is 示例 is the example and is skipped."))),
    Column("head_identity", "户主身份证号", ("户主证件号码", "户主身份证号码"), "identity", where="key", required=True,
           help=str(_("The head's identity number, on every row of the household (it keys the household)."))),
    Column("relation", "与户主关系", ("关系",), "code", "relation", required=True),
    Column("name", "姓名", ("成员姓名",), "text", required=True),
    Column("document_type", "证件类型", (), "doctype",
           help=str(_("居民身份证 (default), 港澳台居民居住证, 外国人永久居留身份证, 出生医学证明."))),
    Column("identity_number", "证件号码", ("身份证号", "身份证号码", "公民身份号码"), "identity", required=True),
    Column("sex", "性别", (), "sex", help=str(_("男/女; read from the ID number when empty."))),
    Column("birth_date", "出生日期", ("出生年月",), "date", help=str(_("Read from the ID number when empty."))),
    Column("ethnicity", "民族", (), "code", "ethnicity"),
    Column("health", "健康状况", (), "code", "health"),
    Column("disability_type", "残疾类型", (), "code", "disability_type"),
    Column("disability_grade", "残疾等级", (), "int", help="1-4"),
    Column("work_status", "就业状况", ("工作状况",), "code", "work_status"),
    Column("is_student", "是否在校学生", ("在校学生",), "bool"),
    Column("school_stage", "就读阶段", (), "code", "school_stage"),
    Column("marital_status", "婚姻状况", (), "code", "marital"),
    Column("hukou_type", "户口类型", ("户籍类型",), "code", "hukou"),
    Column("monthly_income_declared", "月收入(元)", ("月收入", "个人月收入"), "amount"),
    Column("phone", "联系电话", ("电话", "手机号码"), "text"),
    Column("org_code", "工会代码", ("建档工会代码",), "org", where="household", required=True),
    Column("division", "居住地区划代码", ("居住地行政区划代码",), "division", where="household", required=True),
    Column("registration_division", "户籍地区划代码", (), "division", where="household"),
    Column("address", "家庭住址", ("住址",), "text", where="household"),
    Column("housing_type", "住房类型", (), "code", "housing", where="household"),
    Column("housing_area", "住房面积(平方米)", ("住房面积",), "amount", where="household"),
    Column("single_parent", "单亲家庭", (), "bool", where="household"),
    Column("zero_employment", "零就业家庭", (), "bool", where="household"),
    Column("bank_name", "开户银行", (), "text", where="household"),
    Column("bank_account", "银行账号", ("银行卡号",), "text", where="household"),
    Column("bank_account_holder", "账户持有人", ("开户人",), "text", where="household"),
    Column("main_cause", "主要致困原因", (), "code", "cause", where="household"),
    Column("secondary_causes", "次要致困原因", (), "causes", "cause", where="household",
           help=str(_("Up to three, separated by 、 or commas."))),
)
BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED = tuple(column for column in COLUMNS if column.required)
MEMBER_KEYS = tuple(c.key for c in COLUMNS if c.where == "member")
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.where == "household")


def header_token(text) -> str:
    """A header cell reduced for matching: NFKC, no spaces, no required-markers, () for （）."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(value.split()).replace("*", "").replace("＊", "").strip()


HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _title in (_column.header, *_column.aliases):
        HEADER_LOOKUP[header_token(_title)] = _column.key
        HEADER_LOOKUP[header_token(_title).replace("(", "").replace(")", "")] = _column.key


def match_header(text) -> str | None:
    token = header_token(text)
    return HEADER_LOOKUP.get(token) or HEADER_LOOKUP.get(token.replace("(", "").replace(")", ""))
