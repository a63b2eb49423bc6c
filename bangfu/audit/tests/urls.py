"""A test-only URLconf: the real one plus views that change registered models and an audited read."""

from django.http import Http404, HttpResponse
from django.urls import path

from bangfu.audit.access import audited_read
from bangfu.orgs.models import LocalStandard
from bangfu.urls import urlpatterns as real_urlpatterns


def standard_create(request):
    standard = LocalStandard.objects.create(
        division_id="440106", kind="living_line", amount=request.POST["amount"], effective_from="2025-07-01",
        source="test", illustrative=True,
    )
    return HttpResponse(str(standard.pk))


def standard_update(request, pk):
    standard = LocalStandard.objects.get(pk=pk)
    standard.amount = request.POST["amount"]
    standard.save()
    return HttpResponse("ok")


def standard_delete(request, pk):
    LocalStandard.objects.get(pk=pk).delete()
    return HttpResponse("ok")


@audited_read("view", object_type="orgs.localstandard")
def standard_read(request, pk):
    standard = LocalStandard.objects.filter(pk=pk).first()
    if standard is None:
        raise Http404
    request.audited_object = standard
    return HttpResponse(str(standard.amount))


urlpatterns = [
    path("__audit_test__/standards/", standard_create),
    path("__audit_test__/standards/<int:pk>/", standard_update),
    path("__audit_test__/standards/<int:pk>/delete/", standard_delete),
    path("__audit_test__/standards/<int:pk>/read/", standard_read),
    *real_urlpatterns,
]
