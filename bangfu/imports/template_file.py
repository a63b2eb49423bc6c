"""The downloadable template (.xlsx with an example row and an instructions sheet, or .csv)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from bangfu.imports.columns import COLUMNS
from bangfu.registry.models import CodeItem

EXAMPLE = {
    "seq": "示例", "head_identity": "11010519491231002X", "relation": "本人", "name": "张三",
    "document_type": "居民身份证", "identity_number": "11010519491231002X", "sex": "女", "birth_date": "1949-12-31",
    "ethnicity": "汉族", "health": "良好", "work_status": "退休", "is_student": "否", "marital_status": "已婚",
    "hukou_type": "非农业", "monthly_income_declared": "1,200.50", "phone": "13800138000",
    "org_code": "(your union code)",
    "division": "110105", "housing_type": "租房", "housing_area": "45.5", "single_parent": "否",
    "zero_employment": "否", "bank_name": "中国工商银行", "bank_account": "6222020200001234567",
    "bank_account_holder": "张三", "main_cause": "重大疾病", "secondary_causes": "下岗失业、子女教育",
}


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入"
    sheet.append([c.header + ("*" if c.required else "") for c in COLUMNS])
    sheet.append([EXAMPLE.get(c.key, "") for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 4)
        if column.kind == "identity" or column.key in ("phone", "bank_account"):
            for row in range(2, 2000):
                sheet.cell(row=row, column=index).number_format = "@"  # text: Excel keeps all 18 digits
    help_sheet = workbook.create_sheet("说明")
    help_sheet.append([_("Column"), _("Required"), _("Where it is read"), _("Allowed values / how to write it")])
    where = {"member": _("every row"), "household": _("the head's row"), "key": _("every row"), "ignore": "-"}
    labels: dict = {}
    for item in CodeItem.objects.active():
        labels.setdefault(item.code_list, []).append(item.name_zh)
    for column in COLUMNS:
        allowed = "、".join(labels.get(column.code_list, [])) if column.code_list else column.help
        help_sheet.append([column.header, _("yes") if column.required else "", str(where[column.where]),
                           allowed or column.help])
    for line in (
        _("One row per person. The head's row (证件号码 equal to 户主身份证号) carries the household facts."),
        _("Type identity numbers as text. A number Excel shows as 1.1E+17 or that lost its final X is refused."),
        _("Dates: 2020-03-05, 2020.3.5, 2020年3月5日 or an Excel date. Amounts: 1234.50, 1,234元, ￥1,234."),
        _("Re-importing the same file changes nothing; a household already open is updated, not duplicated."),
    ):
        help_sheet.append([str(line)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow([EXAMPLE.get(c.key, "") for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")
