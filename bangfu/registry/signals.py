"""Signals other apps listen to, so the registry never imports them.

`household_state_changed(sender=Household, household, from_state, to_state, actor, on)` is sent inside the
transaction of every lifecycle action that changes an archive's state (`services.lifecycle.finish`); a
receiver's write is part of that action and rolls back with it.

`relapse_evidence(sender, household, kind, evidence, source, actor)` is sent when data suggest that an exited
household under relapse monitoring (DOMAIN.md §3) may be in hardship again: `kind` is one of "dibao_enrolment",
"income_drop", "serious_illness", "job_loss"; `evidence` a JSON-serialisable dict of what was seen (masked
values only); `source` a short label of where it came from (e.g. a cross-check finding). The monitoring app
receives it and re-opens review; the cross-check app sends it, and neither imports the other.

`household_reviewed(sender=Household, household, reviewed_on, actor, event)` is sent inside the transaction of
`services.lifecycle.household_review` (whoever called it), `event` being the review's timeline row.
"""

from django.dispatch import Signal

household_state_changed = Signal()
relapse_evidence = Signal()
household_reviewed = Signal()
