"""Models of bangfu.econcheck."""

from django.db import models  # noqa: F401
