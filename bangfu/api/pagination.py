from rest_framework.pagination import LimitOffsetPagination as DrfLimitOffsetPagination


class LimitOffsetPagination(DrfLimitOffsetPagination):
    """`?limit=&offset=`, with a ceiling so that no request asks for a whole national table at once."""

    default_limit = 50
    max_limit = 500
