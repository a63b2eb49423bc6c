"""The printing panel of the archive page: links to the printed forms, for users who may print them."""

from django.urls import reverse


def context(request, household) -> dict:
    # Imported here: views_printing uses views_detail, which imports this panel.
    from bangfu.registry.views_printing import FORMS, may_print

    if not may_print(request.user):
        return {"print_links": []}
    links = [
        (form, title, reverse("registry:print", kwargs={"pk": household.pk, "form": form}))
        for form, (_template, title) in FORMS.items()
    ]
    return {"print_links": links}
