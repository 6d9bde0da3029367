"""/api/v1/events?from=&to=: every event of a date range, paged, for auditors."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from rollouts.models import Event
from tests.factories import EventFactory, RolloutFactory, UserFactory

pytestmark = pytest.mark.django_db

EVENTS = reverse("api-events")


def _at(when, **fields):
    event = EventFactory(**fields)
    Event.objects.filter(pk=event.pk).update(created_at=when)
    return event


def test_the_whole_range_page_by_page_oldest_first(viewer, api_as, settings):
    settings.UPSWIFT_USER_TOKEN = "tok-secret-123"
    rollout = RolloutFactory()
    zone = timezone.get_default_timezone()
    day = datetime(2026, 3, 10, 8, tzinfo=zone)
    inside = [_at(day + timedelta(minutes=n), rollout=rollout, kind="sweep") for n in range(7)]
    _at(day - timedelta(days=1), rollout=rollout, kind="sweep", reason="before")
    _at(day + timedelta(days=1), rollout=rollout, kind="sweep", reason="after")
    _at(day, rollout=rollout, kind="paused", reason="token tok-secret-123")
    client = api_as(viewer)

    seen, url = [], f"{EVENTS}?from=2026-03-10&to=2026-03-10&page_size=3"
    while url:
        body = client.get(url).json()
        assert body["count"] == 8
        seen += body["results"]
        url = body["next"]

    assert [e["id"] for e in seen if e["kind"] == "sweep"] == [e.pk for e in inside]
    assert {e["rollout"] for e in seen} == {rollout.pk}
    assert "tok-secret-123" not in str(seen)


@pytest.mark.parametrize(
    ("query", "field"), [("from=2026-02-30", "from"), ("from=2026-03-11&to=2026-03-10", "to")]
)
def test_a_bad_range_is_a_400_naming_the_field(viewer, api_as, query, field):
    response = api_as(viewer).get(f"{EVENTS}?{query}")

    assert response.status_code == 400
    assert field in str(response.json())


def test_the_export_needs_view_event(api_as):
    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_rollout"))

    assert api_as(reader).get(EVENTS).status_code == 403
