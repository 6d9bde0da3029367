import re

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
    assert "<dt>Budget used, last 60 s</dt><dd>2 of 60</dd>" in section
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


def dashboard_poll(client, query: str):
    return client.get(f"{reverse('dashboard')}?{query}", HTTP_HX_REQUEST="true")


def test_the_dashboard_polls_and_answers_only_its_poller_while_nothing_changed(
    client, viewer, release_manager
):
    rollout_built(user=release_manager, stage_statuses=AWAITING, second_stage_approved=False)
    html = dashboard(client, viewer)
    poller = re.search(r'<div id="poller" hx-get="[^"]*\?([^"]+)"', html)
    assert poller, "the dashboard polls"
    assert 'hx-select-oob="#approvals,#active,#finished,#troubles,#api-health,#workers"' in html
    assert 'data-announce="1 stage awaiting approval"' in html
    query = poller.group(1).replace("&amp;", "&")

    same = dashboard_poll(client, query).content.decode()
    assert 'id="poller"' in same and 'id="approvals"' not in same
    assert 'data-interval="4"' in same  # nothing changed: the next poll comes later

    rollout_built(user=release_manager, stage_statuses=AWAITING, second_stage_approved=False)
    changed = dashboard_poll(client, query).content.decode()
    assert 'data-announce="2 stages awaiting approval"' in changed
    assert 'data-interval="2"' in changed


def test_recently_finished_rollouts_say_what_they_left_behind(client, viewer, release_manager):
    done = rollout_built(
        user=release_manager,
        status=RolloutStatus.COMPLETED,
        stage_statuses=(StageStatus.SUCCEEDED,) * 3,
    )
    stage = done.stages.get(position=3)
    type(stage).objects.filter(pk=stage.pk).update(count_failed=5, count_not_reached=2)
    clean = rollout_built(
        user=release_manager,
        status=RolloutStatus.COMPLETED,
        stage_statuses=(StageStatus.SUCCEEDED,) * 3,
    )

    html = dashboard(client, viewer)
    start = html.index('id="finished"')
    section = html[start : html.index("</section>", start)]

    assert f'id="finished-{done.pk}"' in section
    line = section[section.index(f'id="finished-{done.pk}"') :]
    assert "Completed with 5 failed, 2 not reached" in line.split("</p>")[0]
    line = section[section.index(f'id="finished-{clean.pk}"') :]
    assert '<span class="badge s-completed">Completed</span>' in line.split("</p>")[0]


def test_a_paused_rollouts_open_stage_reads_paused_on_the_dashboard(
    client, viewer, release_manager
):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, devices=0)
    stage = rollout.stages.get(position=2)
    type(stage).objects.filter(pk=stage.pk).update(devices_total=0)

    html = dashboard(client, viewer)
    flight = html[html.index(f'id="flight-{rollout.pk}"') :]

    assert "2. Europe</span><span>paused</span>" in flight
