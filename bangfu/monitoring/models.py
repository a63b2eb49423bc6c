"""Models of bangfu.monitoring."""

from django.db import models  # noqa: F401
