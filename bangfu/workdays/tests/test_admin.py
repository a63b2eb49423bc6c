"""Calendar overrides are edited in the Django admin, by system administrators only."""

import pytest

from bangfu.workdays.models import CalendarOverride

ADD_URL = "/admin/workdays/calendaroverride/add/"
LIST_URL = "/admin/workdays/calendaroverride/"


@pytest.fixture(autouse=True)
def demo_gates(settings):
    settings.DEMO_MODE = True  # two-factor for admins is tested by the accounts app


def test_system_admin_adds_an_override(national_sysadmin, login):
    client = login(national_sysadmin)
    assert client.get(LIST_URL).status_code == 200
    response = client.post(
        ADD_URL, {"date": "2027-01-01", "is_working_day": "", "name": "New Year's Day", "source": "state_council"}
    )
    assert response.status_code == 302, response.content[:2000]
    override = CalendarOverride.objects.get(date="2027-01-01")
    assert override.is_working_day is False
    assert "New Year&#x27;s Day" in client.get(LIST_URL).content.decode()


def test_admin_rejects_a_duplicate_date(national_sysadmin, login):
    client = login(national_sysadmin)
    CalendarOverride.objects.create(date="2025-10-09", is_working_day=False, name="x")
    response = client.post(ADD_URL, {"date": "2025-10-09", "is_working_day": "on", "name": "y", "source": "local"})
    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert CalendarOverride.objects.count() == 1


def test_other_roles_cannot_reach_it(county_reviewer, login):
    client = login(county_reviewer)
    assert client.get(LIST_URL, follow=True).status_code == 404
    assert client.post(ADD_URL, {"date": "2025-10-09", "name": "y"}, follow=True).status_code == 404
    assert not CalendarOverride.objects.exists()


def test_override_changes_are_audited(national_sysadmin, login):
    from django.contrib.contenttypes.models import ContentType

    from bangfu.audit.models import ChangeLogEntry

    client = login(national_sysadmin)
    client.post(ADD_URL, {"date": "2027-02-06", "is_working_day": "on", "name": "Make-up", "source": "state_council"})
    override = CalendarOverride.objects.get(date="2027-02-06")
    entry = ChangeLogEntry.objects.get(content_type=ContentType.objects.get_for_model(CalendarOverride))
    assert entry.action == "create" and entry.object_id == str(override.pk)
    assert entry.actor_id == national_sysadmin.pk
    assert entry.changes["is_working_day"][1] is True
