"""GET /rollouts/{id}/approval and POST .../approve with a fingerprint; the four-eyes flag of a
plan over the API (api/approvals.py, api/actions.py, api/views.py)."""

import pytest
from django.urls import reverse

from rollouts.models import EventKind, Plan, RolloutStage, StageStatus
from rollouts.roles import APPROVER, OPERATOR
from tests.support.console_data import rollout_built
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def evidence_of(client, rollout):
    return client.get(reverse("api-rollout-approval", args=[rollout.pk]))


def approve(client, rollout, **body):
    return client.post(reverse("api-rollout-approve", args=[rollout.pk]), body, "json")


@pytest.fixture
def awaiting(manager):
    return rollout_built(
        user=manager, stage_statuses=AWAITING, second_stage_approved=False, devices=11
    )


def test_the_evidence_has_the_numbers_and_who_may_approve(api_as, manager, other_manager, awaiting):
    RolloutStage.objects.filter(rollout=awaiting, position=1).update(
        count_success=8, count_failed=2, count_not_reached=1
    )

    answer = evidence_of(api_as(other_manager), awaiting)

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["stage"]["position"] == 2 and body["stage"]["target"] == "groups EU-West"
    first = body["earlier"][0]
    assert (first["succeeded"], first["failed"], first["not_reached"]) == (8, 2, 1)
    assert (first["succeeded_percent"], first["success_threshold"]) == (72.7, 90)
    assert first["threshold_met"] is False
    assert body["comment_required"] is True  # stage 1 fell short
    assert body["approvers"] == ["otto", "rita"]
    assert (body["may_approve"], body["why_not"]) == (True, "")
    assert len(body["fingerprint"]) == 16


def test_the_starter_of_a_four_eyes_rollout_is_told_why_not(api_as, manager, other_manager):
    rollout = rollout_built(
        user=manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    body = evidence_of(api_as(manager), rollout).json()

    assert body["may_approve"] is False and "Four-eyes" in body["why_not"]
    assert body["approvers"] == ["otto"]


def test_a_viewer_may_read_the_evidence_but_not_approve(api_as, viewer, awaiting):
    body = evidence_of(api_as(viewer), awaiting).json()

    assert body["may_approve"] is False and "role" in body["why_not"]
    assert approve(api_as(viewer), awaiting, comment="x").status_code == 403


def test_no_stage_awaiting_is_a_409(api_as, manager):
    rollout = rollout_built(user=manager)

    answer = evidence_of(api_as(manager), rollout)

    assert answer.status_code == 409 and "No stage is waiting" in answer.json()["detail"]


def test_approving_after_the_numbers_changed_is_a_409_with_the_new_ones(api_as, manager, awaiting):
    client = api_as(manager)
    shown = evidence_of(client, awaiting).json()
    RolloutStage.objects.filter(rollout=awaiting, position=1).update(count_failed=4)

    answer = approve(client, awaiting, comment="ok", fingerprint=shown["fingerprint"])

    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "numbers_changed"
    assert body["detail"] == "The numbers changed — review again."
    assert body["evidence"]["earlier"][0]["failed"] == 4
    assert body["evidence"]["fingerprint"] != shown["fingerprint"]
    assert RolloutStage.objects.get(rollout=awaiting, position=2).approved_at is None
    again = approve(client, awaiting, comment="ok", fingerprint=body["evidence"]["fingerprint"])
    assert again.status_code == 200, again.json()


def test_the_approval_event_keeps_the_evidence(api_as, manager, awaiting):
    client = api_as(manager)
    shown = evidence_of(client, awaiting).json()

    assert approve(client, awaiting, fingerprint=shown["fingerprint"]).status_code == 200

    event = awaiting.events.get(kind=EventKind.STAGE_APPROVED)
    assert event.details["evidence"]["fingerprint"] == shown["fingerprint"]
    assert event.details["evidence"]["earlier"][0]["succeeded"] == 11


def test_an_approver_approves_and_an_operator_does_not(api_as, awaiting):
    operator = user_with_role("opal", OPERATOR)
    approver = user_with_role("apu", APPROVER)

    refused = approve(api_as(operator), awaiting)
    done = approve(api_as(approver), awaiting)

    assert refused.status_code == 403
    assert done.status_code == 200
    assert done.json()["stages"][1]["approved_by"] == "apu"
    pause = api_as(approver).post(reverse("api-rollout-pause", args=[awaiting.pk]), {}, "json")
    assert pause.status_code == 403


def test_a_release_manager_patching_four_eyes_off_gets_403_and_nothing_changes(
    api_as, manager, admin, plan
):
    api_as(admin).patch(
        reverse("api-plan", args=[plan.pk]), {"require_different_approver": True}, "json"
    )
    versions = plan.versions.count()

    answer = api_as(manager).patch(
        reverse("api-plan", args=[plan.pk]),
        {"require_different_approver": False, "description": "sneaky"},
        "json",
    )

    assert answer.status_code == 403
    assert "Only an admin" in answer.json()["detail"]
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.require_different_approver is True and plan.description == ""
    assert plan.versions.count() == versions


def test_an_admins_four_eyes_change_is_recorded(api_as, admin, plan):
    answer = api_as(admin).patch(
        reverse("api-plan", args=[plan.pk]), {"require_different_approver": True}, "json"
    )

    assert answer.status_code == 200, answer.json()
    version = plan.versions.order_by("-number").first()
    assert version.actor == admin
    assert (
        version.before["require_different_approver"],
        version.after["require_different_approver"],
    ) == (False, True)
