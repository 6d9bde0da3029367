"""/api/v1/rollouts/{id}/events and /calls: a rollout's history and its Upswift calls."""

import pytest
from django.urls import reverse

from rollouts.models import CallKind, CallState, EventKind, Rollout, RolloutStage
from rollouts.services.actions import rollout_pause, rollout_resume
from tests.factories import ApiCallFactory, EventFactory, RolloutFactory

pytestmark = pytest.mark.django_db


def events_url(rollout) -> str:
    return reverse("api-rollout-events", args=[rollout.pk])


def calls_url(rollout) -> str:
    return reverse("api-rollout-calls", args=[rollout.pk])


def test_events_oldest_first_with_actor_and_stage(viewer, api_as, running, manager):
    rollout_pause(rollout=running, actor=manager, reason="checking")
    rollout_resume(rollout=running, actor=manager)
    stage = RolloutStage.objects.get(rollout=running, position=1)
    EventFactory(rollout=running, stage=stage, kind=EventKind.STAGE_STARTED, details={"x": 1})
    EventFactory(rollout=RolloutFactory())  # another rollout's

    body = api_as(viewer).get(events_url(running)).json()

    assert body["count"] == 5
    rows = [(e["kind"], e["actor"], e["stage"], e["reason"]) for e in body["results"]]
    assert rows == [
        ("created", "rita", None, ""),
        ("started", "rita", None, ""),
        ("paused", "rita", None, "checking"),
        ("resumed", "rita", None, ""),
        ("stage_started", None, 1, ""),
    ]
    paused = body["results"][2]
    assert (paused["from_status"], paused["to_status"]) == ("running", "paused")
    assert body["results"][4]["details"] == {"x": 1}


def test_events_after_an_id_for_polling(viewer, api_as, running, manager):
    client = api_as(viewer)
    seen = client.get(events_url(running)).json()["results"][-1]["id"]
    rollout_pause(rollout=running, actor=manager, reason="later")

    new = client.get(events_url(running), {"after": seen}).json()["results"]

    assert [e["kind"] for e in new] == ["paused"]


def test_events_of_a_missing_rollout_is_a_404(viewer, api_as):
    assert api_as(viewer).get(reverse("api-rollout-events", args=[5555])).status_code == 404


def test_calls_with_their_outcome(viewer, api_as, running):
    stage = RolloutStage.objects.get(rollout=running, position=1)
    ApiCallFactory(rollout=running, stage=stage, duration_ms=120.5)
    ApiCallFactory(
        rollout=running,
        stage=stage,
        kind=CallKind.RETRY,
        state=CallState.FAILED,
        http_status=400,
        error_message="group not found",
        attempt=2,
    )
    ApiCallFactory(rollout=RolloutFactory())

    body = api_as(viewer).get(calls_url(running)).json()

    assert body["count"] == 2
    first, second = body["results"]
    assert (first["kind"], first["state"], first["http_status"], first["stage"]) == (
        "deploy",
        "succeeded",
        200,
        1,
    )
    assert first["duration_ms"] == 120.5
    assert first["request"]["path"] == "/deploy_update"
    assert (second["state"], second["error_message"], second["attempt"]) == (
        "failed",
        "group not found",
        2,
    )


def test_the_upswift_user_token_never_appears(viewer, api_as, running, settings):
    settings.UPSWIFT_USER_TOKEN = "tok-upswift-secret"
    ApiCallFactory(
        rollout=running,
        request={
            "method": "POST",
            "path": "/deploy_update",
            "body": {"user_token": "tok-upswift-secret", "note": "with tok-upswift-secret inside"},
        },
        error_message="401 for user_token=tok-upswift-secret",
    )
    Rollout.objects.filter(pk=running.pk).update(last_error="bad token tok-upswift-secret")
    RolloutStage.objects.filter(rollout=running).update(last_error="tok-upswift-secret rejected")
    EventFactory(rollout=running, reason="tok-upswift-secret", details={"user_token": "x"})
    client = api_as(viewer)

    calls = client.get(calls_url(running))
    detail = client.get(reverse("api-rollout", args=[running.pk]))
    listed = client.get(reverse("api-rollouts"))
    events = client.get(events_url(running))

    for response in (calls, detail, listed, events):
        assert response.status_code == 200
        assert b"tok-upswift-secret" not in response.content
    call = calls.json()["results"][0]
    assert call["request"]["body"]["user_token"] == "***"
    assert call["error_message"] == "401 for user_token=***"
    assert detail.json()["last_error"] == "bad token ***"
    assert detail.json()["stages"][0]["last_error"] == "*** rejected"
    assert events.json()["results"][-1]["details"] == {"user_token": "***"}


def test_calls_are_paginated(viewer, api_as, running):
    ApiCallFactory.create_batch(3, rollout=running)

    page = api_as(viewer).get(calls_url(running), {"page_size": 2, "page": 2}).json()

    assert page["count"] == 3 and len(page["results"]) == 1 and page["previous"]
