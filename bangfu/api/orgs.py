"""API of the union tree and its reference data: orgs (scoped), divisions and local standards (public).

GET /api/v1/orgs/?level=4&kind=enterprise&parent=12&within=3
GET /api/v1/divisions/?level=3&parent=440100&is_current=true&code_prefix=4401
GET /api/v1/local-standards/?division=440106&kind=living_line&effective_from_after=2024-01-01
GET /api/v1/local-standards/in-force/?division=440106&kind=living_line&on=2025-07-01
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from bangfu.api.base import ReferenceViewSetMixin, ScopedViewSetMixin
from bangfu.api.schema import ErrorSerializer
from bangfu.orgs.models import Division, LocalStandard, Org

division_code = RegexValidator(r"^\d{6}$", _("Enter a six-digit division code."))
code_prefix = RegexValidator(r"^\d{1,6}$", _("Enter one to six digits."))


# --- orgs ------------------------------------------------------------------------------------------


class OrgSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(
        source="visible_parent_id",
        read_only=True,
        allow_null=True,
        help_text=_("The parent org's id when you may see it, else null."),
    )
    division_name = serializers.CharField(source="division.name", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:org-detail")

    class Meta:
        model = Org
        fields = [
            "id",
            "url",
            "code",
            "name",
            "short_name",
            "level",
            "kind",
            "division",
            "division_name",
            "parent",
            "depth",
            "numchild",
            "member_count",
            "address",
            "phone",
            "is_active",
        ]
        read_only_fields = fields


def _visible_orgs(request):
    return Org.objects.restrict(request.user, "view") if request is not None else Org.objects.none()


@extend_schema_field(OpenApiTypes.INT)
class OrgChoiceFilter(filters.ModelChoiceFilter):
    """An org id among the orgs the user may see; any other id is "not a valid choice" (no leak)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, queryset=_visible_orgs, **kwargs)


class OrgFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Org.Level.choices, label=_("level"))
    kind = filters.ChoiceFilter(choices=Org.Kind.choices, label=_("kind"))
    parent = OrgChoiceFilter(method="filter_parent", label=_("parent org (its direct children)"))
    within = OrgChoiceFilter(method="filter_within", label=_("org whose whole subtree is listed"))
    division = filters.CharFilter(field_name="division_id", validators=[division_code], label=_("division code"))
    is_active = filters.BooleanFilter(label=_("active"))
    ordering = filters.OrderingFilter(fields=(("path", "path"), ("code", "code"), ("name", "name")))

    class Meta:
        model = Org
        fields = ["level", "kind", "parent", "within", "division", "is_active"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path, depth=value.depth + 1)

    def filter_within(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path)


@extend_schema_view(
    list=extend_schema(summary=_("Union organisations you may see")),
    retrieve=extend_schema(summary=_("One union organisation")),
)
class OrgViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The union organisations in your own subtree; any other org answers 404."""

    queryset = Org.objects.select_related("division")
    serializer_class = OrgSerializer
    filterset_class = OrgFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        # The parent's id in the same query (no N+1), and only when the parent is in scope too.
        parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Value(Org.steplen))
        parents = _visible_orgs(self.request).filter(path=parent_path).order_by().values("pk")[:1]
        return queryset.annotate(visible_parent_id=Subquery(parents))


# --- divisions ---------------------------------------------------------------------------------------


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent", "is_current", "last_revision"]
        read_only_fields = fields


class DivisionFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Division.Level.choices, label=_("level"))
    parent = filters.CharFilter(field_name="parent_id", validators=[division_code], label=_("parent division code"))
    is_current = filters.BooleanFilter(label=_("in the current revision"))
    code_prefix = filters.CharFilter(
        field_name="code", lookup_expr="startswith", validators=[code_prefix], label=_("code starts with")
    )
    name = filters.CharFilter(lookup_expr="icontains", max_length=64, label=_("name contains"))

    class Meta:
        model = Division
        fields = ["level", "parent", "is_current", "code_prefix", "name"]


@extend_schema_view(
    list=extend_schema(summary=_("Administrative divisions (GB/T 2260)")),
    retrieve=extend_schema(summary=_("One administrative division")),
)
class DivisionViewSet(ReferenceViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Public reference data: every signed-in user may read it."""

    queryset = Division.objects.order_by("code")
    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter


# --- local standards ---------------------------------------------------------------------------------


class LocalStandardSerializer(serializers.ModelSerializer):
    class Meta:
        model = LocalStandard
        fields = ["id", "division", "kind", "amount", "effective_from", "source", "illustrative"]
        read_only_fields = fields


class LocalStandardFilter(filters.FilterSet):
    division = filters.CharFilter(field_name="division_id", validators=[division_code], label=_("division code"))
    kind = filters.ChoiceFilter(choices=LocalStandard.Kind.choices, label=_("kind"))
    effective_from = filters.DateFromToRangeFilter(label=_("effective from (range)"))
    illustrative = filters.BooleanFilter(label=_("illustrative value"))

    class Meta:
        model = LocalStandard
        fields = ["division", "kind", "effective_from", "illustrative"]


class InForceQuerySerializer(serializers.Serializer):
    division = serializers.CharField(validators=[division_code], help_text=_("Six-digit division code."))
    kind = serializers.ChoiceField(choices=LocalStandard.Kind.choices)
    on = serializers.DateField(required=False, help_text=_("The date (default: today)."))

    def validate_division(self, value):
        division = Division.objects.filter(pk=value).first()
        if division is None:
            raise serializers.ValidationError(_("Unknown division code."), code="unknown")
        return division


@extend_schema_view(
    list=extend_schema(summary=_("Minimum-living lines and minimum wages by division and date")),
    retrieve=extend_schema(summary=_("One local standard")),
)
class LocalStandardViewSet(ReferenceViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Public reference data: each row is a value with its effective date and its source."""

    queryset = LocalStandard.objects.order_by("division_id", "kind", "-effective_from", "pk")
    serializer_class = LocalStandardSerializer
    filterset_class = LocalStandardFilter

    @extend_schema(
        summary=_("The value in force in a division on a date"),
        description=_("The most specific division that has a value wins (county, then city, then province)."),
        parameters=[InForceQuerySerializer],
        responses={
            200: LocalStandardSerializer,
            404: OpenApiResponse(ErrorSerializer, description=_("No value of this kind is in force there then.")),
        },
        filters=False,
    )
    @action(detail=False, url_path="in-force", url_name="in-force", filter_backends=[], pagination_class=None)
    def in_force(self, request, *args, **kwargs):
        query = InForceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        on = data.get("on") or timezone.localdate()
        standard = LocalStandard.in_force(data["kind"], data["division"], on)
        if standard is None:
            raise NotFound(_("No value of this kind is in force in this division on this date."))
        return Response(self.get_serializer(standard).data)
