"""REST API of the statistics (registered on the router in bangfu/api/urls.py), the same functions as the pages:

    GET /api/v1/stats/dashboard/?org=<code>   the dashboard of a union of the user's subtree (default: their own)
    GET /api/v1/stats/compare/?org=<code>     its children side by side, with the 24-month trend

Amounts are fen. A union outside the user's subtree, and any user without `stats.view_statistics`, get 404.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from bangfu.api.base import ApiViewMixin
from bangfu.stats.compare import compare
from bangfu.stats.views import dashboard_context, org_for

ORG = OpenApiParameter("org", OpenApiTypes.STR, description=_("Org code of a union in your subtree (default: yours)."))


def _figure(figure) -> dict:
    return {"key": figure.key, "label": str(figure.label), "value": figure.value, "note": figure.note or None}


class _StatsViewSet(ApiViewMixin, viewsets.ViewSet):
    pagination_class = None

    def _org(self, request):
        user = request.user
        if user.kind != "staff" or not user.org_id or not user.has_role_permission("stats.view_statistics"):
            raise NotFound
        try:
            return org_for(request)
        except Http404:
            raise NotFound from None


class DashboardViewSet(_StatsViewSet):
    """The figures of one union's dashboard (its whole subtree)."""

    @extend_schema(summary=_("Dashboard of a union"), parameters=[ORG], responses={200: OpenApiTypes.OBJECT},
                   filters=False)
    def list(self, request, *args, **kwargs):
        org = self._org(request)
        data = dashboard_context(request.user, org, timezone.localdate())
        funds = data["funds"]
        return Response({
            "org": {"code": org.code, "name": org.name},
            "on": data["today"],
            "breakdowns": {b.key: [_figure(f) for f in b.rows] for b in data["breakdowns"]},
            "work": [_figure(f) for f in data["work"]],
            "monthly": data["monthly"],
            "funds": None if funds is None else {
                "year": funds["year"], "figures_fen": [_figure(f) for f in funds["figures"]],
                "paid_by_source_fen": [_figure(f) for f in funds["by_source"]],
                "paid_by_category_fen": [_figure(f) for f in funds["by_category"]],
            },
            "services": [_figure(f) for f in data["services"]],
        })


class CompareViewSet(_StatsViewSet):
    """The children of one union side by side."""

    @extend_schema(summary=_("Comparison of the unions below a union"), parameters=[ORG],
                   responses={200: OpenApiTypes.OBJECT}, filters=False)
    def list(self, request, *args, **kwargs):
        org = self._org(request)
        data = compare(org, timezone.localdate())
        show_funds = request.user.has_role_permission("funds.view_ledgerentry")
        rows = []
        for row in data["rows"]:
            child = row.pop("org")
            if not show_funds:
                row.pop("paid_fen"), row.pop("paid_per_member")
            rows.append({"org": {"code": child.code, "name": child.name}, **row})
        return Response({"org": {"code": org.code, "name": org.name}, "rows": rows, "trend": data["trend"]})


def register(router) -> None:
    router.register("stats/dashboard", DashboardViewSet, basename="stats-dashboard")
    router.register("stats/compare", CompareViewSet, basename="stats-compare")
