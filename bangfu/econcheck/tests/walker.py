"""The URL walker's table for bangfu.econcheck (merged into tests/test_url_walker.py): every page and API
endpoint of economic-check requests and results, requested by users of the sibling union.

`build(w)` makes, in the grassroots union, a household in the economic-check step with its authorisation, a
request for it (sent), and the centre's results imported; their markers are registered with `w.secret`."""

from __future__ import annotations

from tests.test_url_walker import LIST, OBJECT, Route

ROUTES = {
    "econcheck:list": Route(LIST),
    "econcheck:new": Route(LIST),  # candidates of the user's own subtree only
    "econcheck:template": Route(LIST, control=None),  # the empty result-file template: no data
    "econcheck:detail": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),
    "econcheck:file": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),  # POST only (file, download)
    "econcheck:send": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),  # POST only
    "econcheck:cancel": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),  # POST only
    "econcheck:import": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),
    "econcheck:household": Route(OBJECT, lambda w: {"household_pk": w.extra["econcheck_household"].pk}),
    "api:checkrequest-list": Route(LIST),
    "api:checkrequest-detail": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),
    "api:checkrequest-send": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),
    "api:checkrequest-file": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),  # POST only
    "api:checkrequest-cancel": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),
    "api:checkrequest-results": Route(OBJECT, lambda w: {"pk": w.extra["check_request"].pk}),
    "api:checkresult-list": Route(LIST),
    "api:checkresult-detail": Route(OBJECT, lambda w: {"pk": w.extra["check_result"].pk}),
}


def build(w) -> None:
    from bangfu.core import context
    from bangfu.econcheck.models import CheckResult
    from bangfu.econcheck.services import import_results
    from bangfu.econcheck.tests.factories import authorised, result_csv, row, sent_request

    with context.acting(user_id=w.insider.pk, username=w.insider.username, org_id=w.tree.grassroots.pk):
        household = authorised(w.tree.grassroots, size=2, name="甲核对秘")
        check_request = sent_request(w.insider, [household])
        check_request.note = "甲核对备注秘"
        check_request.save(update_fields=["note"])
        head, child = list(check_request.items.select_related("member").order_by("seq"))
        import_results(check_request, data=result_csv([row(head, remarks="甲核对意见秘", homes="2"), row(child)]),
                       name="results.csv", actor=w.insider)
    w.extra["econcheck_household"] = household
    w.extra["check_request"] = check_request
    w.extra["check_result"] = CheckResult.objects.get(item=head)
    w.secret(household.archive_number, "甲核对备注秘", "甲核对意见秘", head.identity_masked, child.identity_masked)
