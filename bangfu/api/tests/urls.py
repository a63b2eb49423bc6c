"""A test-only URLconf: probe viewsets built on the API base classes, beside the real URLs."""

from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from bangfu.api.base import ScopedViewSetMixin
from bangfu.core import context
from bangfu.orgs.models import Division, Org


class ProbeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Org
        fields = ["id", "code"]


class ProbeViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = Org.objects.all()
    serializer_class = ProbeSerializer
    scope_actions = {"approve": "approve"}

    @action(detail=False)
    def whoami(self, request):
        ctx = context.current()
        return Response(
            {
                "user_id": ctx.user_id,
                "username": ctx.username,
                "org_id": ctx.org_id,
                "request_id": ctx.request_id,
                "source": ctx.source,
                "scope_action": self.get_scope_action(),
            }
        )

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return Response({"code": self.get_object().code})


class UnscopedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Division.objects.all()
    serializer_class = ProbeSerializer


router = SimpleRouter()
router.register("probe", ProbeViewSet, basename="probe")
router.register("unscoped", UnscopedViewSet, basename="unscoped")

urlpatterns = [
    path("test-api/", include(router.urls)),
    path("", include("bangfu.urls")),
]
