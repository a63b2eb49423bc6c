"""Identity numbers in the archive: normalisation, warnings, one person in at most one open archive
nationwide (the refusal names the other archive only to a user who may see it), the audited reveal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from bangfu.audit.models import AccessLogEntry
from bangfu.core.identity import synthetic_resident_id
from bangfu.registry.models import Household, Member, State
from bangfu.registry.services import archive as services
from bangfu.registry.tests.factories import make_household

pytestmark = pytest.mark.django_db


def zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid) % params if params else translation.gettext(msgid)


def person(number_seq=777, birth=dt.date(1975, 6, 1), area="440106"):
    return synthetic_resident_id(area, birth, number_seq)


def test_normalised_number_and_warnings_are_stored(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    number = person(area="440106")
    # Full-width digits, spaces and a lower-case x are normalised.
    raw = " ".join(number[i:i + 6] for i in range(0, 18, 6)).translate(
        str.maketrans("0123456789X", "０１２３４５６７８９x"))
    # The register says female and another birth date: warnings, not errors (sequence 777 is odd: male).
    member = services.member_add(grassroots_cadre, household, {
        "name": "王芳", "relation": "spouse", "identity_number": raw, "sex": "F", "birth_date": dt.date(1975, 6, 2)})
    member.refresh_from_db()
    assert member.identity_number == number
    assert member.identity_masked == number[:6] + "********" + number[-4:]
    assert len(member.identity_warnings) == 2
    # An area code not in the division table is a warning too.
    unknown_area = synthetic_resident_id("449999", dt.date(1990, 1, 1), 11)
    other = services.member_add(grassroots_cadre, household, {
        "name": "王二", "relation": "sibling", "identity_number": unknown_area})
    assert len(other.identity_warnings) == 1
    # 15-digit numbers are converted; a lost trailing X (17 digits) is refused, never guessed.
    with pytest.raises(ValidationError) as error:
        services.member_add(grassroots_cadre, household, {"name": "王三", "relation": "sibling",
                                                          "identity_number": number[:17]})
    assert "identity_number" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.member_add(grassroots_cadre, household, {"name": "王三", "relation": "sibling",
                                                          "identity_number": "1.1E+17"})
    assert "identity_number" in error.value.message_dict


def test_same_person_twice_in_one_household_refused(tree, grassroots_cadre):
    household = make_household(tree.grassroots, state=State.DRAFT)
    head = household.members.get(is_head=True)
    before = Member.objects.count()
    with pytest.raises(ValidationError) as error:
        services.member_add(grassroots_cadre, household, {"name": "张三", "relation": "sibling",
                                                          "identity_number": head.identity_number})
    assert "identity_number" in error.value.message_dict
    assert Member.objects.count() == before


def test_person_in_an_open_archive_elsewhere(client, tree, grassroots_cadre, county_reviewer, outsider):
    """The sibling union's active archive holds the person. The county reviewer may see it: the message
    names its number and union. The grassroots cadre may not: "another union", nothing more."""
    theirs = make_household(tree.sibling, state=State.ACTIVE)
    their_head = theirs.members.get(is_head=True)
    ours = make_household(tree.grassroots, state=State.DRAFT)
    before = Member.objects.count()

    with pytest.raises(ValidationError) as error:
        services.member_add(grassroots_cadre, ours, {"name": "张三", "relation": "spouse",
                                                     "identity_number": their_head.identity_number})
    message = " ".join(error.value.message_dict["identity_number"])
    assert theirs.archive_number not in message and tree.sibling.name not in message
    assert message == zh("This person is already in an open archive of another union.")

    with pytest.raises(ValidationError) as error:
        services.member_add(county_reviewer, ours, {"name": "张三", "relation": "spouse",
                                                    "identity_number": their_head.identity_number})
    message = " ".join(error.value.message_dict["identity_number"])
    assert theirs.archive_number in message and tree.sibling.name in message
    assert Member.objects.count() == before

    # Through the page: the field shows the message, nothing is created.
    client.force_login(grassroots_cadre)
    response = client.post(reverse("registry:create"), {
        "hh-org": tree.grassroots.pk, "hh-archive_level": 4, "hh-division": "440106",
        "head-name": "张三", "head-document_type": "resident_id", "head-identity_number": their_head.identity_number,
        "head-is_union_member": "on", "head-lives_in_city": "on", "head-able_to_work": "on"})
    body = response.content.decode()
    assert response.status_code == 200
    assert zh("This person is already in an open archive of another union.") in body
    assert theirs.archive_number not in body
    assert Household.objects.count() == 2 and Member.objects.count() == before


def test_closed_archive_does_not_block_and_sync_open_identity(tree, grassroots_cadre):
    old = make_household(tree.sibling, state=State.EXITED)
    old_head = old.members.get(is_head=True)
    assert old_head.open_identity_hash is None
    new = services.household_create(grassroots_cadre, tree.grassroots, {"division": "440106"}, {
        "name": "张三", "identity_number": old_head.identity_number})
    assert new.members.get().open_identity_hash == old_head.identity_hash
    # Re-opening the old archive while the person is open in the new one is refused.
    Household.objects.filter(pk=old.pk).update(state=State.APPLIED)
    old.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.sync_open_identity(old, actor=grassroots_cadre)
    assert "identity_number" in error.value.message_dict
    assert Member.objects.get(pk=old_head.pk).open_identity_hash is None
    # Closing the new one clears its hashes; then the old one may re-open.
    Household.objects.filter(pk=new.pk).update(state=State.CANCELLED)
    new.refresh_from_db()
    services.sync_open_identity(new)
    assert new.members.get().open_identity_hash is None
    services.sync_open_identity(old)
    assert Member.objects.get(pk=old_head.pk).open_identity_hash == old_head.identity_hash


def test_reveal_is_post_only_audited_and_needs_the_permission(client, tree, grassroots_cadre, worker_user):
    household = make_household(tree.grassroots, state=State.ACTIVE)
    head = household.members.get(is_head=True)
    url = reverse("registry:reveal", args=[household.pk])
    client.force_login(grassroots_cadre)
    page = client.get(reverse("registry:detail", args=[household.pk])).content.decode()
    assert head.identity_number not in page and head.identity_masked in page
    assert client.get(url).status_code == 405
    response = client.post(url, {"field": "identity_number", "member": head.pk})
    assert response.status_code == 200
    assert head.identity_number in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    entry = AccessLogEntry.objects.filter(action="reveal").latest("pk")
    assert entry.object_id == str(head.pk) and entry.user == grassroots_cadre
    assert entry.detail.get("field") == "identity_number"
    assert head.identity_number not in str(entry.detail)
    # Bad member id: 404, no 500.
    assert client.post(url, {"field": "identity_number", "member": "abc"}).status_code == 404
    # A helper (no reveal permission) of the same union: 404.
    from bangfu.accounts.roles import Role

    helper = tree.user("helper1", tree.grassroots, Role.HELPER)
    client.force_login(helper)
    assert client.post(url, {"field": "identity_number", "member": head.pk}).status_code == 404
