"""Freeze windows in the console: everyone with a role sees the list; only admins create and
delete them (the form says what is wrong with a window), and only admins let a rollout
through a freeze."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollouts.models import EventKind, FreezeWindow, Profile, Recurrence, StageStatus
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

ONE_OFF = {
    "name": "Holidays",
    "project": "Demo",
    "recurrence": "once",
    "starts_at": "2030-12-24T00:00",
    "ends_at": "2030-12-27T08:00",
    "timezone": "Europe/Berlin",
    "reason": "no one on call",
}
WEEKLY = {
    "name": "Friday afternoons",
    "recurrence": "weekly",
    "weekdays": ["4"],
    "start_time": "14:00",
    "end_time": "23:59",
    "timezone": "UTC",
    "reason": "weekend",
}
# A running rollout whose stage 2 is approved and about to start.
ABOUT_TO_START = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def window(**fields) -> FreezeWindow:
    now = timezone.now()
    defaults = {
        "name": "Incident freeze",
        "recurrence": Recurrence.ONCE,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=1),
        "timezone": "UTC",
        "reason": "incident",
    }
    return FreezeWindow.objects.create(**{**defaults, **fields})


def test_everyone_with_a_role_sees_the_list_and_only_admins_its_buttons(
    client, viewer, release_manager, console_admin, outsider
):
    shown = window(project="Demo")
    for user in (viewer, release_manager):
        client.force_login(user)
        html = client.get(reverse("freeze_list")).content.decode()
        assert "Incident freeze" in html and "Project Demo" in html and "On until" in html
        assert reverse("freeze_create") not in html
        assert reverse("freeze_delete", args=[shown.pk]) not in html

    client.force_login(console_admin)
    html = client.get(reverse("freeze_list")).content.decode()
    assert reverse("freeze_create") in html and reverse("freeze_delete", args=[shown.pk]) in html
    client.force_login(outsider)
    assert client.get(reverse("freeze_list")).status_code == 403


def test_viewers_and_managers_cannot_create_or_delete(client, viewer, release_manager):
    shown = window()
    for user in (viewer, release_manager):
        client.force_login(user)
        assert client.get(reverse("freeze_create")).status_code == 403
        assert client.post(reverse("freeze_create"), ONE_OFF).status_code == 403
        assert client.post(reverse("freeze_delete", args=[shown.pk])).status_code == 403

    assert list(FreezeWindow.objects.all()) == [shown]


@pytest.mark.parametrize("data", [ONE_OFF, WEEKLY], ids=["one-off", "weekly"])
def test_an_admin_creates_a_window(client, console_admin, data):
    client.force_login(console_admin)
    assert client.get(reverse("freeze_create")).status_code == 200

    response = client.post(reverse("freeze_create"), data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("freeze_list")
    created = FreezeWindow.objects.get()
    assert (created.name, created.created_by) == (data["name"], console_admin)
    assert f"Freeze window “{data['name']}” saved." in response.content.decode()
    if data is WEEKLY:
        assert (created.weekdays, f"{created.end_time:%H:%M}") == ([4], "23:59")
    else:  # the wall times are Berlin's
        assert created.starts_at.isoformat() == "2030-12-23T23:00:00+00:00"


def zone_offered(client) -> str:
    page = client.get(reverse("freeze_create")).content.decode()
    field = re.search(r'<input[^>]*name="timezone"[^>]*>', page).group(0)
    return re.search(r'value="([^"]*)"', field).group(1)


def test_a_new_window_is_in_the_viewers_zone_by_default(client, console_admin, settings):
    settings.TIME_ZONE = "America/New_York"
    client.force_login(console_admin)
    assert zone_offered(client) == "America/New_York"  # no zone chosen, none from the browser

    client.cookies["tz"] = "Europe/Berlin"
    assert zone_offered(client) == "Europe/Berlin"  # the browser's

    Profile.objects.create(user=console_admin, timezone="Asia/Tokyo")
    client.force_login(console_admin)  # a new session reads the chosen zone
    assert zone_offered(client) == "Asia/Tokyo"


def test_the_zone_posted_is_the_windows_whatever_the_viewers(client, console_admin):
    """The default is only what the form offers: the zone sent is the window's."""
    Profile.objects.create(user=console_admin, timezone="Asia/Tokyo")
    client.force_login(console_admin)

    client.post(reverse("freeze_create"), ONE_OFF)

    assert FreezeWindow.objects.get().timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**ONE_OFF, "timezone": "Europe/Atlantis"}, "timezone", "Unknown time zone"),
        ({**ONE_OFF, "ends_at": "2030-12-23T00:00"}, "ends_at", "must end after it starts"),
        ({**ONE_OFF, "ends_at": "soon"}, "ends_at", "Enter a valid date/time."),
        ({**ONE_OFF, "starts_at": "", "ends_at": ""}, "starts_at", "Give a date and time."),
        (
            {**ONE_OFF, "ends_at": "2001-01-01T00:00", "starts_at": "2000-01-01T00:00"},
            "ends_at",
            "already over",
        ),
        ({**WEEKLY, "weekdays": []}, "weekdays", "Choose at least one weekday."),
        ({**WEEKLY, "start_time": "25:99"}, "start_time", "Enter a valid time."),
        ({**WEEKLY, "end_time": ""}, "end_time", "Give a time of day"),
        ({**WEEKLY, "reason": ""}, "reason", "This field is required."),
    ],
)
def test_the_form_says_what_is_wrong(client, console_admin, data, field, message):
    client.force_login(console_admin)

    response = client.post(reverse("freeze_create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The window was not saved" in html
    assert f'data-field="{field}"' in html and message in html
    assert not FreezeWindow.objects.exists()


def test_an_admin_deletes_a_window(client, console_admin):
    gone, kept = window(name="gone"), window(name="kept")
    client.force_login(console_admin)

    response = client.post(reverse("freeze_delete", args=[gone.pk]), follow=True)

    assert "Freeze window “gone” deleted." in response.content.decode()
    assert list(FreezeWindow.objects.all()) == [kept]
    assert client.get(reverse("freeze_delete", args=[kept.pk])).status_code == 405


def test_a_frozen_rollout_says_until_when_and_offers_admins_the_override(
    client, console_admin, release_manager
):
    window(project="Demo", name="Incident freeze", timezone="Europe/Berlin")
    rollout = rollout_built(user=release_manager, stage_statuses=ABOUT_TO_START)
    url = reverse("rollout_detail", args=[rollout.pk])

    client.force_login(release_manager)
    html = client.get(url).content.decode()
    assert 'data-waiting="freeze"' in html
    assert "the end of a freeze window: Frozen until" in html and "(Incident freeze)" in html
    assert "Override the freeze" not in html

    client.force_login(console_admin)
    html = client.get(url).content.decode()
    assert "Override the freeze" in html
    assert f'action="{reverse("rollout_freeze_override", args=[rollout.pk])}"' in html


def test_only_an_admin_overrides_with_a_reason(client, console_admin, release_manager):
    window(project="Demo")
    rollout = rollout_built(user=release_manager, stage_statuses=ABOUT_TO_START)
    url = reverse("rollout_freeze_override", args=[rollout.pk])

    client.force_login(release_manager)
    assert client.post(url, {"reason": "please"}).status_code == 403
    client.force_login(console_admin)
    html = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Nothing was done: Say why this rollout goes on during the freeze." in html
    assert not rollout.events.filter(kind=EventKind.FREEZE_OVERRIDDEN).exists()

    response = client.post(url, {"reason": "security fix"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("rollout_detail", args=[rollout.pk])
    assert f"Rollout {rollout.pk} goes on through the freeze" in response.content.decode()
    event = rollout.events.get(kind=EventKind.FREEZE_OVERRIDDEN)
    assert (event.actor, event.reason) == (console_admin, "security fix")
    assert 'data-waiting="freeze"' not in response.content.decode()
