"""/api/v1/freeze-windows: viewers read them, admins create, change and delete them (a 400
names the field at fault); /rollouts/{id}/freeze-override is for admins."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollouts.models import EventKind, FreezeWindow, Recurrence

pytestmark = pytest.mark.django_db

WEEKLY = {
    "name": "Friday afternoons",
    "project": "Demo",
    "recurrence": "weekly",
    "weekdays": ["fri"],
    "start_time": "14:00",
    "end_time": "00:00",
    "timezone": "Europe/Berlin",
    "reason": "nobody on call at the weekend",
}
ONE_OFF = {
    "name": "Holidays",
    "recurrence": "once",
    "starts_at": "2030-12-24T00:00:00",
    "ends_at": "2030-12-27T08:00:00+01:00",
    "timezone": "Europe/Berlin",
    "reason": "holidays",
}


def window(**fields) -> FreezeWindow:
    now = timezone.now()
    defaults = {
        "name": "Incident freeze",
        "project": "Demo",
        "recurrence": Recurrence.ONCE,
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=1),
        "timezone": "UTC",
        "reason": "incident",
    }
    return FreezeWindow.objects.create(**{**defaults, **fields})


def test_viewers_read_windows_and_when_they_end(api_as, viewer, outsider):
    on = window()
    window(name="Kiosks only", project="Kiosks")

    listed = api_as(viewer).get(reverse("api-freeze-windows"), {"project": "Demo"})
    one = api_as(viewer).get(reverse("api-freeze-window", args=[on.pk]))

    assert listed.status_code == 200
    assert [w["name"] for w in listed.json()["results"]] == ["Incident freeze"]
    assert one.status_code == 200
    assert one.json()["active_until"] == on.ends_at.isoformat().replace("+00:00", "Z")
    assert api_as(outsider).get(reverse("api-freeze-windows")).status_code == 403


def test_viewers_and_managers_cannot_change_them(api_as, viewer, manager):
    shown = window()
    url = reverse("api-freeze-window", args=[shown.pk])
    for user in (viewer, manager):
        client = api_as(user)
        attempts = [
            client.post(reverse("api-freeze-windows"), WEEKLY, format="json"),
            client.put(url, WEEKLY, format="json"),
            client.patch(url, {"name": "mine"}, format="json"),
            client.delete(url),
        ]
        assert [r.status_code for r in attempts] == [403] * 4
    assert list(FreezeWindow.objects.values_list("name", flat=True)) == ["Incident freeze"]


def test_an_admin_creates_changes_and_deletes_a_window(api_as, admin):
    client = api_as(admin)

    created = client.post(reverse("api-freeze-windows"), WEEKLY, format="json")

    body = created.json()
    assert created.status_code == 201, body
    assert created["Location"] == reverse("api-freeze-window", args=[body["id"]])
    assert (body["weekdays"], body["start_time"], body["end_time"]) == (
        ["fri"],
        "14:00:00",
        "00:00:00",
    )
    assert (body["created_by"], body["project"]) == ("ada", "Demo")
    url = reverse("api-freeze-window", args=[body["id"]])

    patched = client.patch(url, {"weekdays": ["thu", "fri"], "name": "Thu+Fri"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["weekdays"], patched.json()["name"]) == (["thu", "fri"], "Thu+Fri")
    assert patched.json()["timezone"] == "Europe/Berlin"

    replaced = client.put(url, ONE_OFF, format="json")
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["starts_at"] == "2030-12-23T23:00:00Z"  # a Berlin wall time
    assert replaced.json()["ends_at"] == "2030-12-27T07:00:00Z"
    assert (replaced.json()["weekdays"], replaced.json()["start_time"]) == ([], None)

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": ["someday"]}, "weekdays.1"),
        ({"start_time": "25:00"}, "start_time"),
        ({"start_time": None}, "start_time"),
        ({"recurrence": "monthly"}, "recurrence"),
        ({"name": ""}, "name"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_bad_weekly_window_is_a_400_naming_the_field(api_as, admin, changes, field):
    response = api_as(admin).post(
        reverse("api-freeze-windows"), {**WEEKLY, **changes}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["field"] == field
    assert not FreezeWindow.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": "2030-12-23T00:00:00Z"}, "ends_at", "The window must end after it starts."),
        ({"starts_at": None}, "starts_at", "Give a date and time."),
        ({"ends_at": "yesterday"}, "ends_at", None),
        (
            {"starts_at": "2001-01-01T00:00:00Z", "ends_at": "2001-01-02T00:00:00Z"},
            "ends_at",
            "This window is already over.",
        ),
    ],
)
def test_a_bad_one_off_window_is_a_400_naming_the_field(api_as, admin, changes, field, message):
    response = api_as(admin).post(
        reverse("api-freeze-windows"), {**ONE_OFF, **changes}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["field"] == field
    if message:
        assert response.json()["errors"][field] == [message]


def test_missing_ones_are_404(api_as, admin):
    url = reverse("api-freeze-window", args=[999999])
    client = api_as(admin)

    assert [client.get(url).status_code, client.delete(url).status_code] == [404, 404]


def test_only_an_admin_lets_a_frozen_rollout_through(api_as, admin, manager, running):
    window()
    url = reverse("api-rollout-freeze-override", args=[running.pk])
    before = api_as(manager).get(reverse("api-rollout", args=[running.pk])).json()
    assert before["waiting"]["kind"] == "freeze"
    assert before["waiting"]["sentence"].startswith("Frozen until ")

    refused = api_as(manager).post(url, {"reason": "please"}, format="json")
    blank = api_as(admin).post(url, {"reason": ""}, format="json")
    done = api_as(admin).post(url, {"reason": "security fix"}, format="json")

    assert refused.status_code == 403
    assert (blank.status_code, blank.json()["field"]) == (400, "reason")
    assert done.status_code == 200, done.json()
    assert done.json()["waiting"]["kind"] == "deploy"
    event = running.events.get(kind=EventKind.FREEZE_OVERRIDDEN)
    assert (event.actor, event.reason) == (admin, "security fix")


def test_an_override_without_a_freeze_is_a_409(api_as, admin, running):
    url = reverse("api-rollout-freeze-override", args=[running.pk])

    response = api_as(admin).post(url, {"reason": "just in case"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == f"No freeze window holds rollout {running.pk} now."
