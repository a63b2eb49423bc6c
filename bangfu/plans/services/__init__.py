"""Named, atomic write functions of the household plans (pages and API call these, nothing else):

* `plans`: `ensure_plan`, `plan_update` (the four clears);
* `measures`: `measure_add`, `measure_update` (due date, owner), `measure_set_state`; who may own a measure;
* `recommendations`: `recommendation_accept` (as proposed or edited), `recommendation_reject`;
* `rules`: `rule_create`, `rule_new_version`, `rule_set_active` (every edit is a new version).

The engine's `propose(household, user)` is in `bangfu.plans.engine`. Each function raises
`django.core.exceptions.ValidationError` (by field where there is one) and writes nothing on refusal;
a role that may not do something gets `PermissionDenied`.
"""
