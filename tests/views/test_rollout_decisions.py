"""The rollout page says what the rollout waits for, and offers the decisions its state allows
(rollouts/engine/lifecycle.py decides): accept a shortfall, send a lost deploy again or say
it was sent. States are rows (tests/support/console_data.py), no engine."""

import re

import pytest
from django.urls import reverse

from rollouts.models import (
    ApiCall,
    CallState,
    EventKind,
    RolloutStage,
    RolloutStatus,
    StageStatus,
)
from tests.support.console_data import (
    DEADLINE_REASON,
    DEPLOY_UNKNOWN_REASON,
    rollout_built,
    rollout_paused_by_deadline,
    rollout_paused_deploy_unknown,
)
from tests.views.test_rollout_live import poller_url

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
ACCEPT = "accept-shortfall/"
SEND_AGAIN = "send-again/"
CONFIRM_SENT = "confirm-sent/"


def page(client, user, rollout) -> str:
    client.force_login(user)
    response = client.get(reverse("rollout_detail", args=[rollout.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, tags out and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def waiting_line(html: str) -> str:
    match = re.search(r'<p class="waiting-for"[^>]*>(.*?)</p>', html, re.S)
    return text(match.group(1)) if match else ""


def forms(html: str, rollout) -> set[str]:
    """The action URLs of the rollout's forms on the page, relative to the rollout's own."""
    base = f"/rollouts/{rollout.pk}/"
    actions = re.findall(r'<form method="post" action="([^"]+)"', html)
    return {a[len(base) :] for a in actions if a.startswith(base)}


def act(client, user, name, rollout, data=None):
    client.force_login(user)
    response = client.post(reverse(name, args=[rollout.pk]), data or {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("rollout_detail", args=[rollout.pk])
    return text(response.content.decode())


# --- What it waits for


def test_waiting_for_the_approval_of_a_stage(client, viewer, release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    assert waiting_line(page(client, viewer, rollout)) == "Waiting for: approval of stage 2"


def test_waiting_for_the_devices_of_a_stage_until_its_deadline(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager)
    RolloutStage.objects.filter(rollout=rollout, position=2).update(
        deadline_at="2026-03-04T05:06:00Z"
    )

    line = waiting_line(page(client, viewer, rollout))

    assert line == "Waiting for: devices of stage 2 until the deadline, Mar 4, 05:06 UTC"


def test_waiting_for_a_person_says_why(client, viewer, release_manager):
    rollout = rollout_paused_by_deadline(user=release_manager)

    html = page(client, viewer, rollout)

    assert waiting_line(html) == f"Waiting for: a person: {DEADLINE_REASON}"
    cause = re.search(r'<p class="waiting paused" data-cause="(\w+)">(.*?)</p>', html, re.S)
    assert cause.group(1) == "deadline"
    assert text(cause.group(2)).startswith("Stage deadline passed below the success threshold.")


def test_a_finished_rollout_waits_for_nothing(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.COMPLETED)

    html = page(client, viewer, rollout)

    assert 'class="waiting-for"' not in html and "Completed" in html


# --- Which forms the page offers


def test_a_rollout_paused_by_its_deadline_offers_accept_and_continue(client, release_manager):
    rollout = rollout_paused_by_deadline(user=release_manager)

    html = page(client, release_manager, rollout)

    assert forms(html, rollout) == {ACCEPT, "resume/", "stages/2/retry/", "abort/"}
    accept = html[html.index(f'action="/rollouts/{rollout.pk}/{ACCEPT}"') :]
    accept = accept[: accept.index("</form>")]
    assert DEADLINE_REASON in text(accept)  # the numbers the person decides on
    assert 'maxlength="1000" required id="shortfall-reason"' in accept  # the form's own limits


def test_a_lost_deploy_offers_send_again_and_it_was_sent(client, release_manager):
    rollout = rollout_paused_deploy_unknown(user=release_manager)

    html = page(client, release_manager, rollout)

    assert forms(html, rollout) == {SEND_AGAIN, CONFIRM_SENT, "resume/", "abort/"}
    assert "Send again" in html and "It was sent" in html


def test_a_lost_deploy_whose_stage_moved_on_offers_neither(client, release_manager):
    rollout = rollout_paused_deploy_unknown(user=release_manager)
    RolloutStage.objects.filter(rollout=rollout, position=2).update(status=StageStatus.MONITORING)

    html = page(client, release_manager, rollout)

    assert {SEND_AGAIN, CONFIRM_SENT} & forms(html, rollout) == set()


def test_a_stage_at_its_threshold_has_no_shortfall_to_accept(client, release_manager):
    rollout = rollout_paused_by_deadline(user=release_manager)
    RolloutStage.objects.filter(rollout=rollout, position=2).update(count_success=8)

    assert ACCEPT not in forms(page(client, release_manager, rollout), rollout)


def test_a_running_rollout_offers_none_of_the_decisions(client, release_manager):
    rollout = rollout_built(user=release_manager)

    found = forms(page(client, release_manager, rollout), rollout)

    assert found == {"pause/", "stages/2/retry/", "abort/"}


@pytest.mark.parametrize("build", [rollout_paused_by_deadline, rollout_paused_deploy_unknown])
def test_a_viewer_sees_why_but_no_forms(client, viewer, release_manager, build):
    rollout = build(user=release_manager)

    html = page(client, viewer, rollout)

    assert forms(html, rollout) == set()
    assert "Edit stage" not in html
    assert 'class="waiting paused"' in html  # the reason is still shown


def test_four_eyes_the_starter_gets_no_approve_form_another_manager_does(
    client, release_manager, other_manager
):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    own = page(client, release_manager, rollout)
    other = page(client, other_manager, rollout)

    assert "approve/" not in forms(own, rollout) and "an approver other than" in own
    assert "approve/" in forms(other, rollout)


def test_the_edit_stage_link_follows_the_edit_stages_action(client, release_manager):
    paused = rollout_paused_by_deadline(user=release_manager)
    running = rollout_built(user=release_manager)
    edit = "/stages/3/edit/"

    assert f"/rollouts/{paused.pk}{edit}" in page(client, release_manager, paused)
    assert f"/rollouts/{running.pk}{edit}" not in page(client, release_manager, running)


def test_the_live_fragment_swaps_in_the_forms_when_the_rollout_pauses(client, release_manager):
    rollout = rollout_built(user=release_manager)
    html = page(client, release_manager, rollout)
    assert ACCEPT not in forms(html, rollout)
    type(rollout).objects.filter(pk=rollout.pk).update(
        status=RolloutStatus.PAUSED, pause_cause="deadline", status_reason=DEADLINE_REASON
    )

    live = client.get(poller_url(html)).content.decode()

    assert '<div id="actions" class="actions" hx-swap-oob="true">' in live
    assert ACCEPT in forms(live, rollout)
    assert f"Waiting for: a person: {DEADLINE_REASON}" in text(live)


# --- The POSTs


def test_accept_and_continue_closes_the_stage_and_resumes(client, release_manager):
    rollout = rollout_paused_by_deadline(user=release_manager)

    html = act(client, release_manager, "rollout_accept_shortfall", rollout, {"reason": "ok"})

    assert "Stage 2 accepted below its success threshold" in html
    stage = RolloutStage.objects.get(rollout=rollout, position=2)
    assert (stage.status, stage.shortfall_reason) == (StageStatus.SUCCEEDED, "ok")
    assert stage.shortfall_accepted_by == release_manager
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING and rollout.pause_cause == ""
    event = rollout.events.get(kind=EventKind.SHORTFALL_ACCEPTED)
    assert (event.actor, event.reason) == (release_manager, "ok")


def test_accept_and_continue_needs_a_reason(client, release_manager):
    rollout = rollout_paused_by_deadline(user=release_manager)

    html = act(client, release_manager, "rollout_accept_shortfall", rollout, {"reason": ""})

    assert "Nothing was done: Say why the stage is accepted below its threshold." in html
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.PAUSED
    assert RolloutStage.objects.get(rollout=rollout, position=2).status == StageStatus.MONITORING


def test_accept_and_continue_on_a_running_rollout_is_refused(client, release_manager):
    rollout = rollout_built(user=release_manager)

    html = act(client, release_manager, "rollout_accept_shortfall", rollout, {"reason": "ok"})

    assert "Nothing was done: Accept and continue is not possible now" in html
    assert "is running" in html
    assert not rollout.events.filter(kind=EventKind.SHORTFALL_ACCEPTED).exists()


def test_send_again_clears_the_check_and_resumes(client, release_manager):
    rollout = rollout_paused_deploy_unknown(user=release_manager)

    html = act(client, release_manager, "rollout_send_again", rollout, {"reason": "not there"})

    assert "The deploy of stage 2 is sent again" in html
    queued = ApiCall.objects.get(rollout=rollout, state=CallState.QUEUED)
    assert (queued.precheck, queued.checks) == ("", 0)
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    event = rollout.events.get(kind=EventKind.DEPLOY_RESEND)
    assert (event.actor, event.reason) == (release_manager, "not there")


def test_it_was_sent_cancels_the_queued_attempt_and_opens_the_stage(client, release_manager):
    rollout = rollout_paused_deploy_unknown(user=release_manager)

    html = act(client, release_manager, "rollout_confirm_sent", rollout)

    assert "recorded as sent; nothing is sent again" in html
    assert not ApiCall.objects.filter(rollout=rollout, state=CallState.QUEUED).exists()
    stage = RolloutStage.objects.get(rollout=rollout, position=2)
    assert stage.status == StageStatus.MONITORING and stage.deadline_at is not None
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING
    assert rollout.events.filter(kind=EventKind.DEPLOY_CONFIRMED, actor=release_manager).exists()


@pytest.mark.parametrize("name", ["rollout_send_again", "rollout_confirm_sent"])
def test_send_again_and_it_was_sent_are_refused_for_another_cause(client, release_manager, name):
    rollout = rollout_paused_by_deadline(user=release_manager)

    html = act(client, release_manager, name, rollout)

    assert "Nothing was done:" in html and "is not possible now" in html
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.PAUSED


@pytest.mark.parametrize(
    "name", ["rollout_accept_shortfall", "rollout_send_again", "rollout_confirm_sent"]
)
def test_a_viewer_posting_a_decision_gets_403(client, viewer, release_manager, name):
    rollout = rollout_paused_deploy_unknown(user=release_manager)
    client.force_login(viewer)

    response = client.post(reverse(name, args=[rollout.pk]), {"reason": "because"})

    assert response.status_code == 403
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.PAUSED and rollout.status_reason == DEPLOY_UNKNOWN_REASON
