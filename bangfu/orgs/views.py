from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.models import Org


@login_required
def org_tree(request):
    orgs = Org.objects.restrict(request.user, "view").select_related("division")
    return render(request, "orgs/tree.html", {"orgs": orgs})


@login_required
def org_detail(request, pk: int):
    org = get_scoped_or_404(Org, request.user, "view", pk=pk)
    return render(request, "orgs/detail.html", {"org": org})
