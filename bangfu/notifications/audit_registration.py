"""Which notifications models go to the field-level change log: the delivery preference (a user's choice
that decides whether messages leave the platform). Notices themselves are personal messages, not records of
the union's work: their reading and delivery times are on the row."""

from bangfu import audit
from bangfu.notifications.models import NotificationPreference

audit.register(NotificationPreference, exclude=["updated_at"])
