"""PATCH /api/v1/rollouts/{id}/stages/{position}: a paused rollout's stage that has not
started is edited; bad input is a 400 naming the field, a viewer a 403, the wrong state a 409."""

import pytest
from django.urls import reverse

from rollouts.models import Event, EventKind, RolloutStage, StageStatus
from rollouts.services.actions import rollout_pause

pytestmark = pytest.mark.django_db


@pytest.fixture
def paused(running, manager):
    return rollout_pause(rollout=running, actor=manager, reason="group misspelt")


def patch(client, rollout, position, body):
    url = reverse("api-rollout-stage", args=[rollout.pk, position])
    return client.patch(url, body, format="json")


def groups_of(rollout, position: int) -> list[str]:
    return RolloutStage.objects.get(rollout=rollout, position=position).groups


def edits_of(rollout):
    return Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_EDITED)


def test_a_pending_stage_of_a_paused_rollout_is_edited(manager, api_as, paused):
    response = patch(api_as(manager), paused, 2, {"groups": ["TestGroup2"], "deadline_minutes": 90})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["position"], body["status"]) == (2, "pending")
    assert (body["groups"], body["deadline_minutes"]) == (["TestGroup2"], 90)
    assert body["name"] == "group 1"  # not given, not changed
    assert groups_of(paused, 2) == ["TestGroup2"]
    event = edits_of(paused).get()
    assert event.actor == manager
    assert event.details["after"] == {"groups": ["TestGroup2"], "deadline_minutes": 90}


def test_the_edit_shows_in_the_rollout_and_its_events(manager, viewer, api_as, paused):
    patch(api_as(manager), paused, 3, {"soak_minutes": 30})

    rollout = api_as(viewer).get(reverse("api-rollout", args=[paused.pk])).json()
    events = api_as(viewer).get(reverse("api-rollout-events", args=[paused.pk])).json()

    assert [s["soak_minutes"] for s in rollout["stages"]] == [0, 0, 30]
    edited = [e for e in events["results"] if e["kind"] == "stage_edited"]
    assert [(e["stage"], e["actor"], e["details"]) for e in edited] == [
        (3, "rita", {"before": {"soak_minutes": 0}, "after": {"soak_minutes": 30}})
    ]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"deadline_minutes": 0}, "deadline_minutes", "greater than or equal to 1"),
        ({"deadline_minutes": 10081}, "deadline_minutes", "less than or equal to 10080"),
        ({"soak_minutes": -1}, "soak_minutes", "greater than or equal to 0"),
        ({"target": "tag"}, "tag", "A tag stage needs a tag"),
        ({"target": "all"}, "target", "can only be the last stage"),
        ({"groups": "TestGroup1"}, "groups", "list"),
        ({"tag": "canary", "target": "tag"}, "tag", "already targeted by stage 1"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(manager, api_as, paused, body, field, words):
    response = patch(api_as(manager), paused, 2, body)

    assert response.status_code == 400, response.json()
    payload = response.json()
    assert (payload["code"], payload["field"]) == ("invalid", field)
    assert payload["detail"].startswith(f"{field}: ") and words in payload["detail"]
    assert groups_of(paused, 2) == ["TestGroup1"]
    assert RolloutStage.objects.get(rollout=paused, position=2).target == "groups"
    assert not edits_of(paused).exists()


def test_a_viewer_is_refused(viewer, api_as, paused):
    response = patch(api_as(viewer), paused, 2, {"groups": ["TestGroup2"]})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert groups_of(paused, 2) == ["TestGroup1"]


def test_a_running_rollout_is_a_409(manager, api_as, running):
    response = patch(api_as(manager), running, 2, {"groups": ["TestGroup2"]})

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "conflict"
    assert "running" in response.json()["detail"]
    assert groups_of(running, 2) == ["TestGroup1"]
    assert not edits_of(running).exists()


def test_a_stage_that_has_started_is_a_409(manager, api_as, paused):
    RolloutStage.objects.filter(rollout=paused, position=2).update(status=StageStatus.DEPLOYING)

    response = patch(api_as(manager), paused, 2, {"groups": ["TestGroup2"]})

    assert response.status_code == 409, response.json()
    assert response.json() == {
        "detail": "Stage 2 is deploying: only a stage that has not started can be edited.",
        "code": "conflict",
    }
    assert groups_of(paused, 2) == ["TestGroup1"]


@pytest.mark.parametrize("position", [0, 4, 10**30])
def test_a_stage_that_does_not_exist_is_a_404(manager, api_as, paused, position):
    response = patch(api_as(manager), paused, position, {"name": "x"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
