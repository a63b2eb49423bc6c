""""My work" (`/work/`): the page a case worker, helper or counsellor opens every morning, and the full list of
each of its sections (`/work/<section>/`). Thin: what each section holds is `bangfu.worklist.sections`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from bangfu import audit
from bangfu.accounts.roles import Role
from bangfu.worklist.sections import SECTIONS, Today, work_list

LIST_PAGE_SIZE = 50


def _staff_only(user) -> None:
    # Workers and providers have their own pages; nothing here is theirs.
    if user.kind != "staff":
        raise Http404


def _log_crisis_read(request, cases, page: str) -> None:
    """Crisis cases are care records: every read of them is in the access log (DOMAIN.md §8), naming the cases
    shown (as the care pages do)."""
    ids = [case.pk for case in cases]
    if ids:
        audit.log_access(request, "view", object_type="care.crisiscase", rows=len(ids), page=page, ids=ids)


@login_required
def my_work(request):
    user = request.user
    _staff_only(user)
    work = work_list(user)
    by_key = {section.key: section for section in work.sections}
    if "crises" in by_key:
        _log_crisis_read(request, by_key["crises"].rows, "worklist")
    roles = [Role(role).label for role in sorted(user.role_set) if role in Role.values]
    return render(request, "worklist/home.html", {
        "work": work, "sections": work.sections, "by_key": by_key, "today": work.today.day, "now": work.today.now,
        "roles": roles, "crumbs": [(_("My work"), "")],
    })


@login_required
def section_list(request, section):
    """The whole list of one section (`?scope=subtree`: of the user's unions, where the section has that)."""
    user = request.user
    _staff_only(user)
    kind = SECTIONS.get(section)
    if kind is None or not kind.applies(user):
        raise Http404
    today = Today.current()
    subtree = request.GET.get("scope") == "subtree"
    if subtree and not (kind.subtree_rows is not None and kind.subtree_applies(user)):
        raise Http404
    queryset = kind.subtree_rows(user, today) if subtree else kind.rows(user, today)
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    if kind.key == "crises":
        _log_crisis_read(request, page.object_list, "worklist_crises")
    title = kind.subtree_title if subtree else kind.title
    return render(request, "worklist/list.html", {
        "kind": kind, "page": page, "rows": page.object_list, "title": title, "subtree": subtree,
        "today": today.day, "now": today.now,
        "crumbs": [(_("My work"), reverse("worklist:home")), (title, "")],
    })
