"""Worker accounts: opened by the union (SMS activation code) or with an invitation code; never the ID number as
a password; codes only as keyed hashes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.audit.models import ChangeLogEntry
from bangfu.portal import accounts, codes
from bangfu.portal.models import OneTimeCode, WorkerInvitation
from bangfu.portal.tests.conftest import PASSWORD
from bangfu.registry.models import Member, TimelineEvent


def _code(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_union_opens_account_by_sms_and_worker_sets_password(household, grassroots_cadre, outbox, signed_in):
    head = household.members.get(is_head=True)
    page = signed_in(grassroots_cadre)
    response = page.post(f"/portal/staff/members/{head.pk}/account/", {"step": "sms", "phone": "138 0013 8000"})
    assert response.status_code == 302
    head.refresh_from_db()
    user = head.account
    assert user.kind == "worker" and user.role_set == {"worker"} and user.org_id == household.org_id
    assert user.username == codes.worker_username("13800138000") and "13800138000" not in user.username
    assert head.identity_number not in user.username and not user.has_usable_password()
    [(phone, text)] = outbox
    assert phone == "13800138000"
    code = _code(text)
    assert not OneTimeCode.objects.filter(code_hash__contains=code).exists()  # stored hashed
    assert TimelineEvent.objects.filter(household=household, kind="worker_account_opened").exists()
    entries = ChangeLogEntry.objects.filter(object_id=str(head.pk), content_type__model="member")
    assert any({"account", "account_id"} & set(entry.changes) for entry in entries)

    worker = signed_in(grassroots_cadre).__class__()  # a fresh, anonymous browser
    # The ID number (or its last six) is never accepted as the password.
    refused = worker.post("/portal/activate/", {"phone": "13800138000", "code": code,
                                                "password1": head.identity_number, "password2": head.identity_number})
    assert refused.status_code == 200 and not User.objects.get(pk=user.pk).has_usable_password()
    assert OneTimeCode.objects.get(user=user).used_at is None  # the code was not used up by a refused password
    done = worker.post("/portal/activate/", {"phone": "13800138000", "code": code,
                                             "password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/portal/login/"
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    again = worker.post("/portal/activate/", {"phone": "13800138000", "code": code,
                                              "password1": "Other-pass-2027!", "password2": "Other-pass-2027!"})
    assert again.status_code == 200 and User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_activation_refusals(household, other_household, grassroots_cadre, outsider, outbox, tree):
    head = household.members.get(is_head=True)
    with pytest.raises(PermissionDenied):  # another union's member
        accounts.activate_worker_account(outsider, head, "13800138000")
    with pytest.raises(ValidationError) as bad_phone:
        accounts.activate_worker_account(grassroots_cadre, head, "12345")
    assert "phone" in bad_phone.value.message_dict
    accounts.activate_worker_account(grassroots_cadre, head, "13800138000")
    with pytest.raises(ValidationError):  # already bound
        accounts.activate_worker_account(grassroots_cadre, head, "13700137000")
    other_head = other_household.members.get(is_head=True)
    with pytest.raises(ValidationError) as taken:  # one phone, one account
        accounts.activate_worker_account(grassroots_cadre, other_head, "13800138000")
    assert "phone" in taken.value.message_dict
    assert Member.objects.get(pk=other_head.pk).account_id is None
    assert len(outbox) == 1


def test_sibling_union_staff_get_404_on_the_account_page(household, outsider, signed_in):
    head = household.members.get(is_head=True)
    client = signed_in(outsider)
    assert client.get(f"/portal/staff/members/{head.pk}/account/").status_code == 404
    assert client.post(f"/portal/staff/members/{head.pk}/account/", {"step": "invite"}).status_code == 404
    assert not WorkerInvitation.objects.exists()


def test_invitation_code_opens_account_once(household, grassroots_cadre, signed_in, client):
    head = household.members.get(is_head=True)
    page = signed_in(grassroots_cadre).post(f"/portal/staff/members/{head.pk}/account/", {"step": "invite"})
    code = page.context["shown_code"]
    assert code and code in page.content.decode()
    invitation = WorkerInvitation.objects.get(member=head)
    assert invitation.code_hash == codes.invitation_hash(code) and code not in invitation.code_hash
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=13)

    bad = client.post("/portal/invitation/", {"code": code, "phone": "13800138000",
                                              "password1": head.identity_number[-6:] + "Ab!x",
                                              "password2": head.identity_number[-6:] + "Ab!x"})
    assert bad.status_code == 200 and "password1" in bad.context["form"].errors
    ok = client.post("/portal/invitation/", {"code": code.lower().replace("-", " "), "phone": "13800138000",
                                             "password1": PASSWORD, "password2": PASSWORD})
    assert ok.status_code == 302
    head.refresh_from_db()
    assert head.account.check_password(PASSWORD) and head.account.kind == "worker"
    invitation.refresh_from_db()
    assert invitation.used_at and invitation.account_id == head.account_id
    reuse = client.post("/portal/invitation/", {"code": code, "phone": "13700137000",
                                                "password1": PASSWORD, "password2": PASSWORD})
    assert reuse.status_code == 200 and "code" in reuse.context["form"].errors
    assert User.objects.filter(kind="worker").count() == 1


def test_expired_or_replaced_invitation_is_refused(household, grassroots_cadre):
    head = household.members.get(is_head=True)
    first, first_code = accounts.invitation_create(grassroots_cadre, head)
    _second, second_code = accounts.invitation_create(grassroots_cadre, head)
    with pytest.raises(ValidationError):  # replaced by the second
        accounts.invitation_redeem(first_code, "13800138000", PASSWORD)
    WorkerInvitation.objects.filter(member=head, revoked_at=None).update(expires_at=timezone.now())
    with pytest.raises(ValidationError):
        accounts.invitation_redeem(second_code, "13800138000", PASSWORD)
    assert Member.objects.get(pk=head.pk).account_id is None and first.pk


def test_staff_panel_on_the_archive_page(household, grassroots_cadre, signed_in):
    response = signed_in(grassroots_cadre).get(f"/households/{household.pk}/")
    assert response.status_code == 200
    head = household.members.get(is_head=True)
    assert f"/portal/staff/members/{head.pk}/account/" in response.content.decode()
