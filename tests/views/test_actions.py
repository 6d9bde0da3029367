import pytest
from django.urls import reverse

from rollouts.models import ApiCall, CallKind, EventKind, RolloutStatus, StageStatus
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
COHORT = {
    "project": {"name": "Demo"},
    "groups": [{"name": "EU-West"}],
    "filters": [{"type": "tag", "operand": "is_not", "value": "canary"}],
}


def act(client, user, name, rollout, data=None, *args):
    client.force_login(user)
    url = reverse(name, args=[rollout.pk, *args])
    response = client.post(url, data or {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("rollout_detail", args=[rollout.pk])
    return response.content.decode()


def test_approve_starts_the_next_stage_with_the_comment(client, release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    html = act(client, release_manager, "rollout_approve", rollout, {"comment": "canary ok"})

    stage = rollout.stages.get(position=2)
    assert stage.approved_by == release_manager and stage.approval_comment == "canary ok"
    assert "Stage 2 (groups EU-West) approved: it starts now." in html
    event = rollout.events.get(kind=EventKind.STAGE_APPROVED)
    assert (event.actor, event.reason) == (release_manager, "canary ok")


def test_a_second_approval_is_refused_with_a_message(client, release_manager, other_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )
    act(client, release_manager, "rollout_approve", rollout)

    html = act(client, other_manager, "rollout_approve", rollout)

    assert "Nothing was done: No stage is waiting for approval." in html
    assert rollout.events.filter(kind=EventKind.STAGE_APPROVED).count() == 1


def test_separation_of_duties_is_enforced_on_the_server(client, release_manager):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    html = act(client, release_manager, "rollout_approve", rollout)

    assert "needs a different person" in html
    assert rollout.stages.get(position=2).approved_at is None


def test_pause_then_resume(client, release_manager):
    rollout = rollout_built(user=release_manager)

    paused = act(client, release_manager, "rollout_pause", rollout, {"reason": "looks odd"})
    rollout.refresh_from_db()
    assert (rollout.status, rollout.status_reason) == (RolloutStatus.PAUSED, "looks odd")
    assert "paused: the console sends no more calls" in paused

    resumed = act(client, release_manager, "rollout_resume", rollout, {"reason": "fine"})
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert f"Rollout {rollout.pk} resumed." in resumed


def test_pausing_a_paused_rollout_says_so(client, release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED)

    html = act(client, release_manager, "rollout_pause", rollout)

    assert "Nothing was done:" in html and "not running" in html


def test_abort_needs_a_reason(client, release_manager):
    rollout = rollout_built(user=release_manager)

    refused = act(client, release_manager, "rollout_abort", rollout, {"reason": ""})
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert "Nothing was done: This field is required." in refused

    done = act(client, release_manager, "rollout_abort", rollout, {"reason": "bad build"})
    rollout.refresh_from_db()
    assert (rollout.status, rollout.status_reason) == (RolloutStatus.ABORTED, "bad build")
    assert "aborted" in done and "Aborted" in done


def test_retry_failed_queues_a_retry_call(client, release_manager):
    rollout = rollout_built(user=release_manager, calls=0)
    rollout.stages.filter(position=2).update(cohort=COHORT)

    html = act(client, release_manager, "stage_retry", rollout, None, 2)

    call = ApiCall.objects.get(rollout=rollout, kind=CallKind.RETRY)
    filters = call.request["body"]["devices_filter"]["filters"]
    assert {"type": "update_status", "operand": "is", "value": "failed"} in filters
    assert call.request["body"]["user_token"] == "***"
    assert "Retry queued for the 1 failed devices of stage 2." in html


def test_retry_of_a_stage_without_failures_is_refused(client, release_manager):
    rollout = rollout_built(user=release_manager, calls=0)
    rollout.stages.filter(position=2).update(cohort=COHORT, count_failed=0)

    html = act(client, release_manager, "stage_retry", rollout, None, 2)

    assert "Nothing was done: Stage 2 has no failed devices." in html
    assert not ApiCall.objects.filter(kind=CallKind.RETRY).exists()


def test_an_admin_may_act(client, console_admin, release_manager):
    rollout = rollout_built(user=release_manager)

    act(client, console_admin, "rollout_pause", rollout, {"reason": "admin says"})

    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.PAUSED
