"""The URL walker's cross-org checks for the lifecycle's URLs alone (the full walk is tests/test_url_walker.py)."""

from __future__ import annotations

from tests.test_url_walker import Clients, check, classify, leaves, world  # noqa: F401  (fixture)

MINE = {"registry:lifecycle_action", "registry:notices", "api:household-transitions"}


def test_lifecycle_urls_show_nothing_to_the_sibling_union(world):  # noqa: F811
    clients = Clients(world)
    mine = [leaf for leaf in leaves() if leaf.name in MINE]
    assert {leaf.name for leaf in mine} == MINE
    problems = []
    for leaf in mine:
        problems += check(leaf, classify(leaf), world, clients)
    assert not problems, problems
