"""Excel export of the household list: the rows the list shows (same scope, filters and order), masked.

* permission `registry.export_household` (anyone else: 404, as for any page they may not use);
* masked only: head name as surname + *, ID number first 6 + last 4 (the stored masked copy — the
  export never decrypts anything);
* audited: one access-log entry per export with the row count and the filters (an ID search is
  logged as "<identity number>", never in clear);
* capped at `REGISTRY_EXPORT_MAX_ROWS` rows (setting, default 50,000): above it nothing is written
  and the list says why, so that a national user cannot pull the whole country in one click;
* written by openpyxl in write-only mode from a server-side iterator, so memory stays flat.
"""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from bangfu import audit
from bangfu.registry.filters import SORTS, sort_key
from bangfu.registry.models import Category, CommonLevel, HouseholdCause, Member, State
from bangfu.registry.models.codes import CodeList, code_label
from bangfu.registry.views_lists import filtered_households

DEFAULT_MAX_ROWS = 50_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def max_rows() -> int:
    return int(getattr(settings, "REGISTRY_EXPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def _cell_text(value) -> str:
    """Text that Excel shows as text: a leading =, +, -, @ would make it a formula (CSV/formula injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


COLUMNS = (
    ("archive_number", gettext_lazy("Archive number")),
    ("head_name_masked", gettext_lazy("Head of household")),
    ("head_identity_masked", gettext_lazy("ID number (masked)")),
    ("category", gettext_lazy("Category")),
    ("common_level", gettext_lazy("Common level")),
    ("main_cause", gettext_lazy("Main cause")),
    ("state", gettext_lazy("State")),
    ("is_temporary_relief", gettext_lazy("Temporary relief")),
    ("org__name", gettext_lazy("Union")),
    ("division_id", gettext_lazy("Division code")),
    ("division__name", gettext_lazy("Division")),
    ("household_size", gettext_lazy("Household size")),
    ("need_score", gettext_lazy("Need score")),
    ("review_due_on", gettext_lazy("Review due")),
    ("updated_at", gettext_lazy("Updated")),
)


def export_rows(queryset, sort: str):
    """Plain tuples in list order; head ID and main cause as subqueries (one query in all)."""
    field, descending, nullable = SORTS[sort]
    head = Member.objects.filter(household=OuterRef("pk"), is_head=True)
    main = HouseholdCause.objects.filter(household=OuterRef("pk"), is_main=True)
    if nullable:
        order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    else:
        order = F(field).desc() if descending else F(field).asc()
    return (
        queryset.annotate(
            head_identity_masked=Subquery(head.values("identity_masked")[:1]),
            main_cause=Subquery(main.values("code")[:1]),
        )
        .order_by(order, "-pk" if descending else "pk")
        .values_list(*(name for name, _label in COLUMNS))
        .iterator(chunk_size=2000)
    )


@login_required
def household_export(request):
    user = request.user
    if not user.has_role_permission("registry.export_household"):
        raise Http404
    filterset, queryset = filtered_households(request, "export")
    back = reverse("registry:list") + ("?" + request.GET.urlencode() if request.GET else "")
    if filterset.is_bound and filterset.errors:
        messages.error(request, _("Correct the filters first; nothing was exported."))
        return redirect(back)
    limit = max_rows()
    count = queryset.order_by().values("pk")[: limit + 1].count()
    filters = filterset.summary()
    if count > limit:
        audit.log_access(request, "export", result="denied", object_type="registry.household", rows=count,
                         filters=filters, reason=f"over the limit of {limit} rows")
        messages.error(request, _(
            "The list has more than %(limit)s archives; exports are limited to %(limit)s rows. "
            "Narrow it with the filters (e.g. a union or a division) and export again."
        ) % {"limit": f"{limit:,}"})
        return redirect(back)

    sort = sort_key(request.GET.get("sort"))
    categories, levels, states = dict(Category.choices), dict(CommonLevel.choices), dict(State.choices)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Household archives"))
    sheet.freeze_panes = "A2"
    header = []
    for _name, label in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    written = 0
    tz = timezone.get_current_timezone()
    for row in export_rows(queryset, sort):
        values = dict(zip((name for name, _label in COLUMNS), row, strict=True))
        values["category"] = str(categories.get(values["category"], values["category"] or ""))
        values["common_level"] = str(levels.get(values["common_level"], values["common_level"] or ""))
        values["state"] = str(states.get(values["state"], values["state"]))
        values["main_cause"] = code_label(CodeList.CAUSE, values["main_cause"] or "")
        values["is_temporary_relief"] = _("Yes") if values["is_temporary_relief"] else ""
        values["updated_at"] = timezone.localtime(values["updated_at"], tz).strftime("%Y-%m-%d %H:%M")
        values["review_due_on"] = values["review_due_on"].isoformat() if values["review_due_on"] else ""
        values["need_score"] = float(values["need_score"]) if values["need_score"] is not None else None
        sheet.append([
            v if isinstance(v, (int, float)) and not isinstance(v, bool) else _cell_text(v)
            for v in values.values()
        ])
        written += 1
    audit.log_access(request, "export", object_type="registry.household", rows=written, filters=filters,
                     sort=sort)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(handle, as_attachment=True, filename=f"households-{stamp}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Cache-Control"] = "no-store"
    return response


def export_url(params) -> str:
    return reverse("registry:export") + ("?" + urlencode(params) if params else "")
