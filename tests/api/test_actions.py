"""POST /api/v1/rollouts/{id}/start|approve|pause|resume|abort|retry: each does its one
thing, answers the rollout as it is after, and answers 409 when the state does not allow it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    Event,
    EventKind,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.actions import rollout_abort, rollout_pause

pytestmark = pytest.mark.django_db


def act(client, rollout, action, data=None):
    return client.post(reverse(f"api-rollout-{action}", args=[rollout.pk]), data or {}, "json")


def status_of(rollout) -> str:
    return Rollout.objects.get(pk=rollout.pk).status


def stage_done(rollout, position: int) -> None:
    RolloutStage.objects.filter(rollout=rollout, position=position).update(
        status=StageStatus.SUCCEEDED
    )


def stage_failing(rollout, position: int, failed: int = 3) -> RolloutStage:
    RolloutStage.objects.filter(rollout=rollout, position=position).update(
        status=StageStatus.MONITORING,
        devices_total=10,
        count_failed=failed,
        count_success=10 - failed,
        cohort={"project": {"name": "Demo"}, "groups": [], "filters": []},
    )
    return RolloutStage.objects.get(rollout=rollout, position=position)


def assert_conflict(response, words: str) -> None:
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "conflict"
    assert words in response.json()["detail"]


# --- start


def test_start_a_draft(manager, api_as, draft):
    response = act(api_as(manager), draft, "start")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "running" and len(response.json()["stages"]) == 3
    assert status_of(draft) == RolloutStatus.RUNNING


def test_start_later(manager, api_as, draft):
    at = timezone.now() + timedelta(days=1)

    response = act(api_as(manager), draft, "start", {"scheduled_at": at.isoformat()})

    assert response.json()["status"] == "scheduled"
    assert abs(Rollout.objects.get(pk=draft.pk).scheduled_at - at) < timedelta(seconds=1)


def test_starting_twice_is_a_409(manager, api_as, running):
    events = Event.objects.count()

    response = act(api_as(manager), running, "start")

    assert_conflict(response, "not a draft")
    assert RolloutStage.objects.filter(rollout=running).count() == 3  # no second copy
    assert Event.objects.count() == events


# --- approve


def test_approve_the_stage_waiting(manager, api_as, running):
    stage_done(running, 1)

    response = act(api_as(manager), running, "approve", {"comment": "canary looks good"})

    assert response.status_code == 200, response.json()
    stage = RolloutStage.objects.get(rollout=running, position=2)
    assert (stage.approved_by, stage.approval_comment) == (manager, "canary looks good")
    assert response.json()["stages"][1]["approved_by"] == "rita"
    event = Event.objects.get(rollout=running, kind=EventKind.STAGE_APPROVED)
    assert (event.actor, event.reason, event.stage) == (manager, "canary looks good", stage)


def test_approving_when_nothing_waits_is_a_409(manager, api_as, running):
    response = act(api_as(manager), running, "approve")  # stage 1 was approved at start

    assert_conflict(response, "No stage is waiting")
    assert not Event.objects.filter(kind=EventKind.STAGE_APPROVED).exists()


def test_approving_twice_is_a_409(manager, other_manager, api_as, running):
    stage_done(running, 1)

    first = act(api_as(manager), running, "approve")
    second = act(api_as(other_manager), running, "approve")

    assert first.status_code == 200
    assert_conflict(second, "No stage is waiting")
    assert RolloutStage.objects.get(rollout=running, position=2).approved_by == manager


@pytest.mark.parametrize("fixture", ["draft", "running"])
def test_approving_a_rollout_that_is_not_running_is_a_409(manager, api_as, request, fixture):
    rollout = request.getfixturevalue(fixture)
    if fixture == "running":
        rollout_pause(rollout=rollout, actor=manager, reason="lunch")

    assert_conflict(act(api_as(manager), rollout, "approve"), "nothing to approve")


def test_a_plan_may_require_a_different_approver(manager, other_manager, api_as, plan, running):
    Rollout.objects.filter(pk=running.pk).update(require_different_approver=True)
    stage_done(running, 1)

    own = act(api_as(manager), running, "approve", {"comment": "mine"})
    other = act(api_as(other_manager), running, "approve", {"comment": "canary clean"})

    assert own.status_code == 403
    assert "different person" in own.json()["detail"]
    assert other.status_code == 200
    assert RolloutStage.objects.get(rollout=running, position=2).approved_by == other_manager


# --- pause / resume


def test_pause_and_resume_with_reasons(manager, api_as, running):
    client = api_as(manager)

    paused = act(client, running, "pause", {"reason": "support asked"})
    assert paused.status_code == 200, paused.json()
    assert paused.json()["status"] == "paused"
    assert paused.json()["status_reason"] == "support asked"

    resumed = act(client, running, "resume", {"reason": "all clear"})
    assert resumed.json()["status"] == "running"

    kinds = Event.objects.filter(rollout=running).values_list("kind", "reason", "actor")
    assert list(kinds)[-2:] == [
        (EventKind.PAUSED, "support asked", manager.pk),
        (EventKind.RESUMED, "all clear", manager.pk),
    ]


def test_pausing_a_paused_rollout_is_a_409(manager, api_as, running):
    client = api_as(manager)
    act(client, running, "pause")

    assert_conflict(act(client, running, "pause"), "not running")


def test_resuming_a_running_rollout_is_a_409(manager, api_as, running):
    assert_conflict(act(api_as(manager), running, "resume"), "not paused")
    assert status_of(running) == RolloutStatus.RUNNING


def test_pausing_a_draft_is_a_409(manager, api_as, draft):
    assert_conflict(act(api_as(manager), draft, "pause"), "not running")


# --- abort


def test_abort_with_a_reason(manager, api_as, running):
    response = act(api_as(manager), running, "abort", {"reason": "bad build"})

    assert response.status_code == 200
    assert response.json()["status"] == "aborted"
    rollout = Rollout.objects.get(pk=running.pk)
    assert (rollout.status, rollout.status_reason) == (RolloutStatus.ABORTED, "bad build")
    assert rollout.finished_at is not None


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_abort_needs_a_reason(manager, api_as, running, data):
    response = act(api_as(manager), running, "abort", data)

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert "Say why" in response.json()["detail"] or "null" in response.json()["detail"]
    assert status_of(running) == RolloutStatus.RUNNING


def test_aborting_twice_is_a_409(manager, api_as, running):
    rollout_abort(rollout=running, actor=manager, reason="first")

    assert_conflict(act(api_as(manager), running, "abort", {"reason": "again"}), "already over")
    assert Rollout.objects.get(pk=running.pk).status_reason == "first"


# --- retry


def test_retry_defaults_to_the_open_stage(manager, api_as, running):
    stage = stage_failing(running, 1)

    response = act(api_as(manager), running, "retry")

    assert response.status_code == 200, response.json()
    call = ApiCall.objects.get(rollout=running, kind=CallKind.RETRY)
    assert call.stage == stage and call.state == CallState.QUEUED
    filters = call.request["body"]["devices_filter"]["filters"]
    assert {"type": "update_status", "operand": "is", "value": "failed"} in filters
    assert call.request["body"]["user_token"] == "***"
    event = Event.objects.get(rollout=running, kind=EventKind.RETRY_REQUESTED)
    assert event.actor == manager and event.details["failed_devices"] == 3


def test_retry_a_named_stage(manager, api_as, running):
    stage_done(running, 1)
    stage = stage_failing(running, 2)

    response = act(api_as(manager), running, "retry", {"stage": 2})

    assert response.status_code == 200, response.json()
    assert ApiCall.objects.get(kind=CallKind.RETRY).stage == stage


def test_retrying_a_paused_rollout_resumes_it(manager, api_as, running):
    stage_failing(running, 1)
    rollout_pause(rollout=running, actor=None, reason="failure threshold")

    response = act(api_as(manager), running, "retry")

    assert response.json()["status"] == "running"
    assert ApiCall.objects.filter(kind=CallKind.RETRY).count() == 1


def test_retrying_a_stage_without_failures_is_a_409(manager, api_as, running):
    stage_failing(running, 1, failed=0)

    assert_conflict(act(api_as(manager), running, "retry"), "no failed devices")
    assert not ApiCall.objects.filter(kind=CallKind.RETRY).exists()


def test_retrying_a_stage_that_is_not_open_is_a_409(manager, api_as, running):
    stage_failing(running, 1)

    assert_conflict(act(api_as(manager), running, "retry", {"stage": 2}), "not open")


def test_retrying_a_finished_rollout_is_a_409(manager, api_as, running):
    stage_failing(running, 1)
    rollout_abort(rollout=running, actor=manager, reason="stop")

    assert_conflict(act(api_as(manager), running, "retry"), "nothing to retry")


def test_retrying_when_no_stage_is_open_is_a_409(manager, api_as, running):
    RolloutStage.objects.filter(rollout=running).update(status=StageStatus.SUCCEEDED)

    assert_conflict(act(api_as(manager), running, "retry"), "no open stage")


@pytest.mark.parametrize(("stage", "words"), [(9, "has no stage 9"), (0, "greater than")])
def test_retrying_a_stage_that_does_not_exist_is_a_400(manager, api_as, running, stage, words):
    response = act(api_as(manager), running, "retry", {"stage": stage})

    assert response.status_code == 400
    assert response.json()["field"] == "stage" and words in response.json()["detail"]


# --- every action


@pytest.mark.parametrize("action", ["start", "approve", "pause", "resume", "abort", "retry"])
def test_an_action_on_a_missing_rollout_is_a_404(manager, api_as, action):
    response = act(api_as(manager), Rollout(pk=987654), action, {"reason": "x"})

    assert response.status_code == 404
    assert response.json()["detail"] == "Rollout 987654 not found."
