"""Models of bangfu.imports."""

from django.db import models  # noqa: F401
