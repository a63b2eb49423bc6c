"""A worker reads the decisions about their own household (opinions, appeals) — never another's, and never
the objections raised during the public notice (whoever raised them may stay anonymous)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from bangfu.portal.tests.conftest import verified_client  # a worker signed in on the portal
from bangfu.registry.models import Appeal, LevelOpinion, NoticeObjection, PublicNotice
from bangfu.registry.tests.factories import make_household


def _opinion(household, org, text):
    return LevelOpinion.objects.create(household=household, stage="approval", org=org, level=org.level,
                                       decision="refused", opinion=text, on=dt.date(2026, 10, 1))


def test_worker_reads_own_decisions_only(tree, worker_user, login):
    own = make_household(tree.grassroots, name="王自己", state="refused")
    other = make_household(tree.grassroots, name="李别人", state="refused")
    own.members.filter(is_head=True).update(account=worker_user)
    _opinion(own, tree.county, "家庭收入超过标准甲")
    _opinion(other, tree.county, "家庭收入超过标准乙")
    notice = PublicNotice.objects.create(household=own, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 9, 8),
                                         place="community")
    NoticeObjection.objects.create(notice=notice, received_on=dt.date(2026, 9, 2), objector="邻居某",
                                   content="有车辆未申报")

    assert list(LevelOpinion.objects.restrict(worker_user, "view").values_list("household", flat=True)) == [own.pk]
    assert list(PublicNotice.objects.restrict(worker_user, "view")) == [notice]
    assert not NoticeObjection.objects.restrict(worker_user, "view").exists()
    assert not Appeal.objects.restrict(worker_user, "change").exists()

    html = verified_client(worker_user).get(reverse("registry:detail", args=[own.pk])).content.decode()
    assert "家庭收入超过标准甲" in html
    assert "家庭收入超过标准乙" not in html and "有车辆未申报" not in html and "邻居某" not in html
