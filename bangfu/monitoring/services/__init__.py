"""Named, atomic write functions of dynamic management, shared by pages, the API and the daily tasks.

* `reviews`: review cycles (INSERT … SELECT of one review per active archive), doing a review (through the
  registry's `household_review`), reminders of reviews coming due;
* `spotcheck`: the higher level's reproducible random draw and the spot-check outcome;
* `exits`: exit suggestions from the months above the line, accepting (the registry's `household_exit`) or
  dismissing them;
* `relapse`: relapse watches of exits, their triggers from registry data and from the `relapse_evidence`
  signal, and the case worker's outcome (no relapse / re-entry through the registry's `household_reenter`).

Each raises `django.core.exceptions.ValidationError` with field messages and writes nothing on refusal.
"""
