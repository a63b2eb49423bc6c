"""Pages that do not exist, or are outside the user's union, answer the platform's own 404 page."""

from django.urls import reverse

from bangfu.registry.tests.factories import make_household


def test_not_found_page_keeps_the_navigation_and_tells_nothing(tree, outsider, signed_in):
    household = make_household(tree.grassroots, name="秘密户主")
    client = signed_in(outsider)
    for url in (reverse("registry:detail", args=[household.pk]), "/households/999999999/"):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404
        assert 'data-testid="not-found"' in body and 'data-testid="nav-households"' in body
        assert "秘密" not in body and household.archive_number not in body
