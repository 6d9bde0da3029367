import pytest
from django.core.cache import cache
from django.urls import reverse

from rollouts.engine.budget import budget_acquire, budget_cooldown
from rollouts.models import RolloutStatus, StageStatus
from tests.factories import ApiCallFactory, EventFactory, WorkerHeartbeatFactory
from tests.support.console_data import rollout_built
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_rollouts_awaiting_approval_come_first_with_who_can_approve(
    client, viewer, release_manager, other_manager
):
    waiting = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    html = dashboard(client, viewer)

    approvals = html.index('id="approvals"')
    assert approvals < html.index('id="active"')
    section = html[approvals : html.index('id="active"')]
    assert f"#{waiting.pk} default_app {waiting.app_version}" in section
    assert "stage 2" in section
    assert "<strong>otto</strong>" in section and "<strong>rita</strong>" in section
    assert "vera" not in section  # a viewer cannot approve


def test_separation_of_duties_leaves_the_starter_out_of_the_approvers(
    client, viewer, release_manager, other_manager
):
    rollout_built(
        user=release_manager,
        stage_statuses=AWAITING,
        second_stage_approved=False,
        require_different_approver=True,
    )

    html = dashboard(client, viewer)
    section = html[html.index('id="approvals"') : html.index('id="active"')]

    assert "<strong>otto</strong>" in section
    assert "<strong>rita</strong>" not in section
    assert "separation of duties" in section


def test_active_rollouts_show_a_progress_bar_per_stage(client, viewer, release_manager):
    running = rollout_built(user=release_manager, devices=9)
    finished = rollout_built(user=release_manager, status=RolloutStatus.COMPLETED)

    html = dashboard(client, viewer)
    section = html[html.index('id="active"') : html.index('id="troubles"')]

    assert f"#{running.pk} default_app" in section
    assert f"#{finished.pk} default_app" not in section
    # stage 2 has 9 success of 13 devices: 69%
    assert "Stage 2: 9 of 13 succeeded" in section
    assert "width: 69%" in section


def test_recent_pauses_and_failures_show_their_reason(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED)
    EventFactory(
        rollout=rollout,
        kind="paused",
        reason="Stage 2 reached its failure threshold: 3 of 10 devices failed",
        to_status="paused",
    )

    html = dashboard(client, viewer)
    section = html[html.index('id="troubles"') : html.index('id="api-health"')]

    assert "Stage 2 reached its failure threshold: 3 of 10 devices failed" in section
    assert f"#{rollout.pk}" in section


def test_api_health_shows_the_last_error_cooldown_and_calls(
    client, viewer, release_manager, settings, time_machine
):
    time_machine.move_to("2026-11-26 10:00:20Z", tick=False)  # one budget minute throughout
    cache.clear()
    settings.UPSWIFT_CALLS_PER_MINUTE = 60
    assert budget_acquire() == budget_acquire() == 0  # two calls of this minute's budget
    rollout = rollout_built(user=release_manager, calls=0)
    ApiCallFactory(rollout=rollout, kind="poll", pages=3)
    ApiCallFactory(
        rollout=rollout,
        state="failed",
        http_status=400,
        error_message="flow_id: no such update flow",
    )
    budget_cooldown(seconds=42)

    html = dashboard(client, viewer)
    section = html[html.index('id="api-health"') : html.index('id="workers"')]

    assert "flow_id: no such update flow" in section
    assert "Cooling down after a 429" in section
    assert "s left" in section
    # a poll of 3 pages and one deploy call
    assert "<dt>Requests in the last minute</dt><dd>4</dd>" in section
    assert "<dt>Budget used this minute</dt><dd>2 of 60</dd>" in section
    cache.clear()


def test_workers_seen_lately_are_listed(client, viewer):
    WorkerHeartbeatFactory(hostname="celery@box-1")

    html = dashboard(client, viewer)

    assert "celery@box-1" in html
    assert "No worker has reported" not in html


def test_user_content_is_escaped(client, viewer):
    manager = user_with_role("mallory", "Release manager")
    rollout_built(user=manager, comment="x", app_name="<script>alert(1)</script>")

    html = dashboard(client, viewer)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
