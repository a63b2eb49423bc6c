"""Per-org counts for the tree and detail pages, computed in SQL in a constant number of queries.

Each count is a correlated subquery on the org queryset, so listing N orgs with their counts is one
query whatever N is. An org's subtree is every org whose materialised path starts with its path.

Inside a correlated subquery that prefix is written as a range on the path, not as `LIKE path || '%'`:
PostgreSQL cannot use an index for a LIKE whose pattern comes from the outer row, but it can for a
range. Paths only use treebeard's alphabet (0-9, A-Z), so `path <= P || 'ZZZ…'` bounds exactly the
paths that start with P. Measured on PostgreSQL with 200,000 orgs, the 23 upper nodes with their
counts: LIKE 1.4-1.7 s, range 0.28 s, identical results. (At national scale a rollup table per org
would make this constant; the tree page also caps how many nodes it lists.)
"""

from __future__ import annotations

from django.db.models import F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from bangfu.orgs.models import Org


def _scalar(queryset, function: str, field: str = "pk"):
    """`(SELECT <function>(<field>) FROM ...)` as an integer, 0 when empty.

    `Func` rather than `Count`/`Sum`: an aggregate in `.values()` would make Django add a GROUP BY
    to the subquery; a plain function call keeps it a single-row scalar subquery.
    """
    expression = Func(F(field), function=function, output_field=IntegerField())
    return Coalesce(Subquery(queryset.order_by().values(n=expression)[:1]), Value(0))


def in_subtree_of_outer() -> Q:
    """Orgs in the subtree of the outer query's org (itself included), as an index-friendly range."""
    ceiling = Org.alphabet[-1] * Org._meta.get_field("path").max_length
    return Q(path__gte=OuterRef("path"), path__lte=Concat(OuterRef("path"), Value(ceiling)))


def with_counts(queryset):
    """Annotate orgs with:

    * `user_count` — active user accounts that belong to the org itself;
    * `grassroots_count` — active grassroots unions in its subtree (itself included);
    * `membership` — members of those grassroots unions (members belong to grassroots unions,
      so federations' own `member_count` is not added twice).

    Child orgs need no query: treebeard keeps `numchild` on every node.
    """
    from bangfu.accounts.models import User

    grassroots = Org.objects.filter(in_subtree_of_outer(), level=Org.Level.GRASSROOTS, is_active=True)
    return queryset.annotate(
        user_count=_scalar(User.objects.filter(org=OuterRef("pk"), is_active=True), "COUNT"),
        grassroots_count=_scalar(grassroots, "COUNT"),
        membership=_scalar(grassroots, "SUM", "member_count"),
    )
