"""The printing panel of the archive page: what it adds to the page's context."""


def context(request, household) -> dict:
    return {}
