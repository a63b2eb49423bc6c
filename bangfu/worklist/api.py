"""`GET /api/v1/my-work/`: the counts of the user's work list, the same functions as the page (`sections`).

A section that does not apply to the user (a helper has no crisis cases, a counsellor approves no payments) is
`null`; a count over the user's unions stops at `capped_at` and says so (`…_capped`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from bangfu.api.base import ApiViewMixin
from bangfu.api.schema import AutoSchema
from bangfu.worklist.sections import COUNT_BOUND, Today, work_list


class MyWorkSerializer(serializers.Serializer):
    """Counts of the work list; null where the section is not part of this user's work."""

    on = serializers.DateField(help_text=_("The day the counts are for (local date)."))
    capped_at = serializers.IntegerField(help_text=_("Counts over your unions stop here."))
    my_households = serializers.IntegerField(allow_null=True, help_text=_(
        "Households whose current responsible helper you are."))
    overdue_visits = serializers.IntegerField(allow_null=True, help_text=_("Your households overdue for a visit."))
    overdue_visits_in_subtree = serializers.IntegerField(allow_null=True, help_text=_(
        "Households of your unions overdue for a visit (case workers and reviewers)."))
    overdue_visits_in_subtree_capped = serializers.BooleanField()
    measures_due = serializers.IntegerField(allow_null=True, help_text=_(
        "Open measures you own that are overdue or due soon."))
    measures_overdue = serializers.IntegerField(allow_null=True, help_text=_("Of those, past their due date."))
    open_crisis_cases = serializers.IntegerField(allow_null=True, help_text=_(
        "Crisis cases not yet closed in your unions (counsellors only)."))
    crisis_cases_overdue = serializers.IntegerField(allow_null=True, help_text=_(
        "Of those, not acknowledged by their deadline."))
    households_without_helper = serializers.IntegerField(allow_null=True, help_text=_(
        "Households of your unions without a responsible helper."))
    households_without_helper_capped = serializers.BooleanField()
    applications_waiting = serializers.DictField(child=serializers.IntegerField(), allow_null=True, help_text=_(
        "Archives of your unions per procedure state you act on."))
    approvals_waiting = serializers.IntegerField(allow_null=True, help_text=_(
        "Payments waiting for your decision."))
    unread_notifications = serializers.IntegerField()


class _OneObjectSchema(AutoSchema):
    """The answer of `GET /my-work/` is one object, though DRF's router calls the action `list`."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class MyWorkViewSet(ApiViewMixin, viewsets.ViewSet):
    """The signed-in staff member's own work list (counts only)."""

    serializer_class = MyWorkSerializer
    pagination_class = None
    schema = _OneObjectSchema()

    @extend_schema(summary=_("Counts of my work list"), responses={200: MyWorkSerializer}, filters=False)
    def list(self, request, *args, **kwargs):
        user = request.user
        if user.kind != "staff":
            raise exceptions.PermissionDenied(_("Work lists are for union staff."))
        today = Today.current()
        work = work_list(user, today, with_rows=False)
        by_key = {section.key: section for section in work.sections}

        def count(key, attr="count"):
            return getattr(by_key[key], attr) if key in by_key else None  # None: not this user's section

        visits, unassigned = by_key.get("visits"), by_key.get("unassigned")
        return Response(MyWorkSerializer({
            "on": today.day, "capped_at": COUNT_BOUND,
            "my_households": count("households"),
            "overdue_visits": count("visits"),
            "overdue_visits_in_subtree": visits.subtree_count if visits else None,
            "overdue_visits_in_subtree_capped": bool(visits and visits.subtree_capped),
            "measures_due": count("measures"), "measures_overdue": count("measures", "overdue"),
            "open_crisis_cases": count("crises"), "crisis_cases_overdue": count("crises", "overdue"),
            "households_without_helper": count("unassigned"),
            "households_without_helper_capped": bool(unassigned and unassigned.capped),
            "applications_waiting": ({row["state"].value: row["count"] for row in work.applications["rows"]}
                                     if work.applications else None),
            "approvals_waiting": work.approvals["count"] if work.approvals else None,
            "unread_notifications": work.notifications["count"],
        }).data)


def register(router) -> None:
    """Add `/api/v1/my-work/` to the API's router (called from bangfu/api/urls.py)."""
    router.register("my-work", MyWorkViewSet, basename="my-work")
