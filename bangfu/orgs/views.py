"""Pages of the union tree: the tree the user may see, with counts, and one org's detail."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.scoping import get_scoped_or_404
from bangfu.orgs.counts import with_counts
from bangfu.orgs.models import Org, living_line, minimum_wage

# One page lists the root, its children, and further levels while the total stays within MAX_NODES
# (at most TREE_LEVELS below the root). The whole demo tree fits; at national scale the page stays
# bounded and deeper nodes are reached by re-rooting the tree on a node ("show sub-organisations").
TREE_LEVELS = 4
MAX_NODES = 400
CHILDREN_PER_PAGE = 50
# Levels below the root that start unfolded.
OPEN_LEVELS = 2


@dataclass
class Node:
    org: Org
    children: list[Node] = field(default_factory=list)
    open: bool = False
    cut: bool = False  # has children below the page's depth limit


def build_forest(orgs: list[Org], root_depth: int, max_depth: int) -> list[Node]:
    """Nest orgs (ordered by path) into trees; an org whose parent is not in the list starts a tree."""
    nodes: dict[str, Node] = {}
    roots: list[Node] = []
    for org in orgs:
        node = Node(org, open=org.depth - root_depth < OPEN_LEVELS, cut=org.depth >= max_depth and org.numchild > 0)
        nodes[org.path] = node
        parent = nodes.get(org.path[: -Org.steplen])
        (parent.children if parent else roots).append(node)
    return roots


def depth_window(visible) -> tuple[int, int, int] | None:
    """(root depth, deepest depth listed, number of orgs in all) for a visible subtree, from one
    count per depth; None when nothing is visible."""
    per_depth = dict(visible.order_by().values_list("depth").annotate(n=Count("pk")))
    if not per_depth:
        return None
    root_depth = min(per_depth)
    deepest, total = root_depth, 0
    for depth in range(root_depth, root_depth + TREE_LEVELS + 1):
        total += per_depth.get(depth, 0)
        if total > MAX_NODES and depth > root_depth + 1:
            break
        deepest = depth
    return root_depth, deepest, sum(per_depth.values())


def _crumbs_to(org: Org, user) -> list[tuple[str, str]]:
    """Home › Union tree › the ancestors of `org` that the user may see."""
    crumbs = [(_("Union tree"), reverse("orgs:tree"))]
    prefixes = [org.path[: Org.steplen * i] for i in range(1, org.depth)]
    ancestors = Org.objects.restrict(user, "view").filter(path__in=prefixes).only("pk", "name", "path")
    crumbs += [(a.name, reverse("orgs:detail", args=[a.pk])) for a in ancestors]
    return crumbs


@login_required
def org_tree(request):
    visible = Org.objects.restrict(request.user, "view")
    root = None
    if request.GET.get("root"):
        root = get_scoped_or_404(Org, request.user, "view", pk=request.GET["root"])
        visible = visible.filter(path__startswith=root.path)
    window = depth_window(visible)
    if window is None:
        raise Http404  # a role that may not see the tree: same answer as a page that does not exist
    root_depth, max_depth, total = window
    # Path order lists parents before their children, so a cut at MAX_NODES keeps a connected tree.
    orgs = list(with_counts(visible.filter(depth__lte=max_depth).select_related("division"))[: MAX_NODES + 1])
    truncated = len(orgs) > MAX_NODES
    orgs = orgs[:MAX_NODES]
    crumbs = _crumbs_to(root, request.user) + [(root.name, "")] if root else [(_("Union tree"), "")]
    return render(
        request,
        "orgs/tree.html",
        {
            "forest": build_forest(orgs, root_depth, max_depth),
            "root": root,
            "org_total": total,
            "listed": len(orgs),
            "truncated": truncated,
            "crumbs": crumbs,
        },
    )


@login_required
def org_detail(request, pk: int):
    user = request.user
    org = get_scoped_or_404(with_counts(Org.objects.select_related("division__parent__parent")), user, "view", pk=pk)
    children = Paginator(
        with_counts(
            Org.objects.restrict(user, "view").filter(path__startswith=org.path, depth=org.depth + 1)
        ).select_related("division"),
        CHILDREN_PER_PAGE,
    ).get_page(request.GET.get("page"))
    today = timezone.localdate()
    standards = [
        (_("Minimum-living line"), _("yuan per person per month"), living_line(org.division, today)),
        (_("Minimum wage"), _("yuan per month"), minimum_wage(org.division, today)),
    ]
    crumbs = _crumbs_to(org, user) + [(org.name, "")]
    divisions = []
    division = org.division
    while division is not None:
        divisions.insert(0, division)
        division = division.parent
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "children": children,
            "standards": standards,
            "today": today,
            "division_chain": divisions,
            "can_view_users": user.has_role_permission("accounts.view_user"),
            "crumbs": crumbs,
        },
    )
