"""Models of bangfu.crosscheck."""

from django.db import models  # noqa: F401
