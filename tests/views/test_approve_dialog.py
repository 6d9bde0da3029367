"""The approve dialog on the rollout page (templates/rollouts/rollout/_approve.html, views
rollouts.py and actions.py) and the plan page's four-eyes box and versions (views/plans.py)."""

import re

import pytest
from django.urls import reverse

from rollouts.models import EventKind, RolloutStage, StageStatus
from rollouts.services.plans import plan_create
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def page_of(client, user, rollout):
    client.force_login(user)
    return client.get(reverse("rollout_detail", args=[rollout.pk])).content.decode()


def shown_fingerprint(html: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)


def test_the_dialog_shows_the_earlier_stages_numbers(client, release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=11
    )
    RolloutStage.objects.filter(rollout=rollout, position=1).update(count_success=3, count_failed=8)

    html = page_of(client, release_manager, rollout)

    assert 'data-evidence="succeeded">3/11 (27.3%)' in html
    assert 'data-evidence="failed">8<' in html
    assert "not met" in html
    assert '<label for="approve-comment">Comment (required: stage 1 fell short)</label>' in html
    assert 'maxlength="1000" required id="approve-comment"' in html  # the form's own limits
    assert "Who may approve: rita" in html


def test_a_non_approver_sees_an_inactive_button_and_why(client, release_manager, viewer):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    html = page_of(client, viewer, rollout)

    assert "Confirm: approve stage 2" not in html
    assert re.search(r"<button type=\"button\" disabled[^>]*>Approve stage 2</button>", html)
    assert "Your role does not allow approving stages" in html


def test_the_starter_under_four_eyes_is_told_why(client, release_manager):
    rollout = rollout_built(
        user=release_manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    html = page_of(client, release_manager, rollout)

    assert "Confirm: approve stage 2" not in html
    assert "Four-eyes: you started this rollout" in html


def test_confirming_after_the_numbers_changed_is_a_409_and_shows_the_new_ones(
    client, release_manager
):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=11
    )
    fingerprint = shown_fingerprint(page_of(client, release_manager, rollout))
    RolloutStage.objects.filter(rollout=rollout, position=1).update(count_failed=5)

    response = client.post(
        reverse("rollout_approve", args=[rollout.pk]),
        {"comment": "ok", "fingerprint": fingerprint},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "The numbers changed — review again." in html
    assert 'data-evidence="failed">5<' in html
    assert shown_fingerprint(html) != fingerprint
    assert not rollout.events.filter(kind=EventKind.STAGE_APPROVED).exists()


def test_confirming_the_numbers_shown_approves_and_keeps_them(client, release_manager):
    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=11
    )
    fingerprint = shown_fingerprint(page_of(client, release_manager, rollout))

    response = client.post(
        reverse("rollout_approve", args=[rollout.pk]), {"fingerprint": fingerprint}
    )

    assert response.status_code == 302
    event = rollout.events.get(kind=EventKind.STAGE_APPROVED)
    assert event.details["evidence"]["fingerprint"] == fingerprint


def test_the_plan_page_shows_versions_and_only_an_admin_may_tick_four_eyes(
    client, release_manager, console_admin
):
    plan = plan_create(
        name="Weekly", project="Demo", stages=[{"target": "all"}], actor=release_manager
    )
    client.force_login(release_manager)
    form = {
        "name": "Weekly",
        "project": "Demo",
        "description": "",
        "require_different_approver": "on",  # forged: the box is disabled for them
        "stages-TOTAL_FORMS": "1",
        "stages-INITIAL_FORMS": "1",
        "stages-0-target": "all",
        "stages-0-ORDER": "1",
        "stages-0-approval_required": "on",
        "stages-0-success_threshold": "95",
        "stages-0-failure_threshold": "10",
        "stages-0-soak_minutes": "0",
        "stages-0-deadline_minutes": "30",
    }

    client.post(reverse("plan_edit", args=[plan.pk]), form)
    html = client.get(reverse("plan_edit", args=[plan.pk])).content.decode()

    plan.refresh_from_db()
    assert plan.require_different_approver is False
    assert re.search(r'name="require_different_approver"[^>]*disabled', html)
    assert "Only an admin can change it." in html
    assert "Version 2" in html and "stage 1 deadline minutes" in html

    client.force_login(console_admin)
    client.post(reverse("plan_edit", args=[plan.pk]), form)
    plan.refresh_from_db()
    assert plan.require_different_approver is True
    assert plan.versions.order_by("-number").first().actor == console_admin


def test_a_retried_stage_keeps_its_first_pass_in_the_dialog_and_the_approval(
    client, release_manager
):
    from rollouts.engine.passes import pass_begin_retry, sample_record
    from rollouts.models import Event

    rollout = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False, devices=11
    )
    stage = RolloutStage.objects.get(rollout=rollout, position=1)
    RolloutStage.objects.filter(pk=stage.pk).update(count_success=3, count_failed=8)
    pass_begin_retry(stage=stage, actor=release_manager)
    RolloutStage.objects.filter(pk=stage.pk).update(count_success=11, count_failed=0)
    sample_record(stage)  # the read-back after the retry

    html = page_of(client, release_manager, rollout)
    line = "first pass 3/11 succeeded, 8 failed; retry 8/8 succeeded"
    assert f'data-evidence="passes">Passes: {line}</td>' in html
    response = client.post(
        reverse("rollout_approve", args=[rollout.pk]),
        {"fingerprint": shown_fingerprint(html), "comment": "retry fixed it"},
    )

    assert response.status_code in (200, 302)
    kept = Event.objects.get(rollout=rollout, kind=EventKind.STAGE_APPROVED).details["evidence"]
    first = kept["earlier"][0]
    assert first["passes_text"] == line
    assert [(p["number"], p["succeeded"], p["devices"]) for p in first["passes"]] == [
        (1, 3, 11),
        (2, 8, 8),
    ]
