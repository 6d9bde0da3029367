"""What a rollout waits for and what the token's user may do about it (`waiting`, `actions`),
and the decisions a pause asks for: POST /rollouts/{id}/accept-shortfall, /send-again,
/confirm-sent. States are rows (tests/support/console_data.py), no engine."""

import pytest
from django.urls import reverse

from rollouts.models import (
    ApiCall,
    CallState,
    Event,
    EventKind,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from tests.support.console_data import (
    DEADLINE_REASON,
    rollout_built,
    rollout_paused_by_deadline,
    rollout_paused_deploy_unknown,
)

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def act(client, rollout, action, data=None):
    return client.post(reverse(f"api-rollout-{action}", args=[rollout.pk]), data or {}, "json")


def get(client, rollout) -> dict:
    response = client.get(reverse("api-rollout", args=[rollout.pk]))
    assert response.status_code == 200
    return response.json()


def stage_at(rollout, position: int = 2) -> RolloutStage:
    return RolloutStage.objects.get(rollout=rollout, position=position)


# --- GET: waiting and actions


def test_a_running_rollout_awaiting_approval(manager, other_manager, api_as):
    rollout = rollout_built(
        user=other_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    body = get(api_as(manager), rollout)

    assert body["waiting"] == {
        "kind": "approval",
        "stage": 2,
        "until": None,
        "cause": "",
        "sentence": "Stage 2 needs an approval.",
    }
    assert body["awaiting_approval"] is True
    assert body["actions"] == ["abort", "approve", "pause"]


def test_a_rollout_paused_by_its_deadline(manager, api_as):
    rollout = rollout_paused_by_deadline(user=manager)

    body = get(api_as(manager), rollout)

    assert body["waiting"] == {
        "kind": "person",
        "stage": 2,
        "until": None,
        "cause": "deadline",
        "sentence": DEADLINE_REASON,
    }
    assert body["awaiting_approval"] is False
    assert body["actions"] == [
        "abort",
        "accept_shortfall",
        "edit_stages",
        "resume",
        "retry_failed",
    ]


def test_a_lost_deploy_offers_send_again_and_confirm_sent(manager, api_as):
    body = get(api_as(manager), rollout_paused_deploy_unknown(user=manager))

    assert body["waiting"]["kind"] == "person" and body["waiting"]["cause"] == "deploy_unknown"
    assert body["actions"] == ["abort", "confirm_sent", "edit_stages", "resume", "send_again"]


def test_a_completed_rollout_waits_for_nothing_and_allows_nothing(manager, api_as):
    rollout = rollout_built(
        user=manager, status=RolloutStatus.COMPLETED, stage_statuses=(StageStatus.SUCCEEDED,) * 3
    )

    body = get(api_as(manager), rollout)

    assert body["waiting"]["kind"] == "nothing" and body["waiting"]["stage"] is None
    assert body["actions"] == [] and body["awaiting_approval"] is False


def test_devices_until_the_deadline(manager, api_as):
    rollout = rollout_built(user=manager)
    RolloutStage.objects.filter(rollout=rollout, position=2).update(
        deadline_at="2030-01-02T03:04:05Z"
    )

    waiting = get(api_as(manager), rollout)["waiting"]

    assert (waiting["kind"], waiting["stage"]) == ("devices", 2)
    assert waiting["until"] == "2030-01-02T03:04:05+00:00"


def test_four_eyes_the_starter_may_not_approve_another_manager_may(manager, other_manager, api_as):
    rollout = rollout_built(
        user=manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    own = get(api_as(manager), rollout)
    other = get(api_as(other_manager), rollout)

    assert own["waiting"]["kind"] == other["waiting"]["kind"] == "approval"
    assert "approve" not in own["actions"] and "pause" in own["actions"]
    assert "approve" in other["actions"]


def test_a_viewer_may_do_nothing(viewer, manager, api_as):
    rollout = rollout_paused_by_deadline(user=manager)

    body = get(api_as(viewer), rollout)

    assert body["actions"] == [] and body["waiting"]["cause"] == "deadline"


def test_the_list_has_waiting_and_actions_too(manager, api_as):
    rollout = rollout_paused_deploy_unknown(user=manager)

    response = api_as(manager).get(reverse("api-rollouts"))

    (row,) = [r for r in response.json()["results"] if r["id"] == rollout.pk]
    assert row["waiting"]["cause"] == "deploy_unknown"
    assert "send_again" in row["actions"] and "accept_shortfall" not in row["actions"]


# --- accept-shortfall


def test_accept_shortfall(manager, api_as):
    rollout = rollout_paused_by_deadline(user=manager)

    response = act(api_as(manager), rollout, "accept-shortfall", {"reason": "offline ones"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "running" and body["stages"][1]["status"] == "succeeded"
    assert "accept_shortfall" not in body["actions"] and "pause" in body["actions"]
    stage = stage_at(rollout)
    assert (stage.shortfall_accepted_by, stage.shortfall_reason) == (manager, "offline ones")
    event = Event.objects.get(rollout=rollout, kind=EventKind.SHORTFALL_ACCEPTED)
    assert event.details["numbers"]["success"] == 4 and event.details["numbers"]["devices"] == 8


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_accept_shortfall_needs_a_reason(manager, api_as, data):
    rollout = rollout_paused_by_deadline(user=manager)

    response = act(api_as(manager), rollout, "accept-shortfall", data)

    assert response.status_code == 400
    assert response.json()["field"] == "reason" and response.json()["code"] == "invalid"
    assert "Say why the stage is accepted below its threshold." in response.json()["detail"]
    assert stage_at(rollout).status == StageStatus.MONITORING


def test_accept_shortfall_on_a_running_rollout_is_a_409(manager, api_as):
    rollout = rollout_built(user=manager)

    response = act(api_as(manager), rollout, "accept-shortfall", {"reason": "why not"})

    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "Accept and continue is not possible now" in response.json()["detail"]
    assert stage_at(rollout).status == StageStatus.MONITORING


# --- send-again / confirm-sent


def test_send_again(manager, api_as):
    rollout = rollout_paused_deploy_unknown(user=manager)

    response = act(api_as(manager), rollout, "send-again", {"reason": "not in Upswift"})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "running"
    assert response.json()["waiting"]["kind"] == "deploy"
    queued = ApiCall.objects.get(rollout=rollout, state=CallState.QUEUED)
    assert (queued.precheck, queued.checks) == ("", 0)
    event = Event.objects.get(rollout=rollout, kind=EventKind.DEPLOY_RESEND)
    assert (event.actor, event.reason) == (manager, "not in Upswift")


def test_confirm_sent(manager, api_as):
    rollout = rollout_paused_deploy_unknown(user=manager)

    response = act(api_as(manager), rollout, "confirm-sent")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "running" and body["stages"][1]["status"] == "monitoring"
    assert body["waiting"]["kind"] == "devices" and body["waiting"]["until"] is not None
    assert not ApiCall.objects.filter(rollout=rollout, state=CallState.QUEUED).exists()
    assert Event.objects.filter(rollout=rollout, kind=EventKind.DEPLOY_CONFIRMED).exists()


@pytest.mark.parametrize("action", ["send-again", "confirm-sent"])
def test_send_again_and_confirm_sent_need_a_lost_deploy(manager, api_as, action):
    rollout = rollout_paused_by_deadline(user=manager)

    response = act(api_as(manager), rollout, action)

    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "waits for a person" in response.json()["detail"]
    assert Rollout.objects.get(pk=rollout.pk).status == RolloutStatus.PAUSED


@pytest.mark.parametrize("action", ["accept-shortfall", "send-again", "confirm-sent"])
def test_a_viewer_is_refused(viewer, manager, api_as, action):
    rollout = rollout_paused_deploy_unknown(user=manager)

    response = act(api_as(viewer), rollout, action, {"reason": "because"})

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Rollout.objects.get(pk=rollout.pk).status == RolloutStatus.PAUSED
    assert not Event.objects.filter(rollout=rollout, actor=viewer).exists()


@pytest.mark.parametrize("action", ["accept-shortfall", "send-again", "confirm-sent"])
def test_an_unknown_rollout_is_a_404(manager, api_as, action):
    response = api_as(manager).post(
        reverse(f"api-rollout-{action}", args=[999999]), {"reason": "x"}, "json"
    )

    assert response.status_code == 404 and response.json()["code"] == "not_found"
