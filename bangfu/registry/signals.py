"""Signals other apps listen to, so the registry never imports them.

`household_state_changed(sender=Household, household, from_state, to_state, actor, on)` is sent inside the
transaction of every lifecycle action that changes an archive's state (`services.lifecycle.finish`); a
receiver's write is part of that action and rolls back with it.
"""

from django.dispatch import Signal

household_state_changed = Signal()
