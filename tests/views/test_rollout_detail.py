import pytest
from django.urls import reverse

from rollouts.models import RolloutStatus, StageStatus
from tests.factories import ApiCallFactory, DeviceProgressFactory, EventFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)


def page(client, user, rollout) -> str:
    client.force_login(user)
    response = client.get(reverse("rollout_detail", args=[rollout.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_one_card_per_stage_with_counts_and_a_progress_bar(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager, devices=6)

    html = page(client, viewer, rollout)

    for position in (1, 2, 3):
        assert f'id="stage-{position}"' in html
    card = html[html.index('id="stage-2"') : html.index('id="stage-3"')]
    assert 'data-status="monitoring"' in card
    assert '<b data-count="success">6</b>' in card
    assert '<b data-count="failed">1</b>' in card
    assert '<b data-count="total">10</b>' in card
    assert "60%</b> succeeded" in card
    assert 'class="seg seg-success" style="width: 60.00%"' in card
    assert "<polyline" in card  # the chart of a started stage


def test_a_release_manager_sees_the_buttons_the_state_allows(client, release_manager):
    waiting = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    html = page(client, release_manager, waiting)

    assert "Approve next stage" in html and "Confirm: approve stage 2" in html
    assert "Confirm: pause" in html and "Confirm: abort rollout" in html
    assert "Confirm: resume" not in html
    assert html.count("csrfmiddlewaretoken") >= 3


def test_a_paused_rollout_offers_resume_and_retry(client, release_manager):
    paused = rollout_built(user=release_manager, status=RolloutStatus.PAUSED)

    html = page(client, release_manager, paused)

    assert "Confirm: resume" in html and "Confirm: retry stage 2" in html
    assert "Confirm: pause" not in html and "Approve next stage" not in html


def test_a_viewer_sees_the_state_but_no_buttons(client, viewer, release_manager):
    waiting = rollout_built(
        user=release_manager, stage_statuses=AWAITING, second_stage_approved=False
    )

    html = page(client, viewer, waiting)

    assert "is waiting for approval" in html
    for label in ("Approve next stage", "Confirm: pause", "Abort", "Retry failed"):
        assert label not in html
    assert '<form method="post" action="/rollouts/' not in html


def test_the_banner_shows_why_the_rollout_failed_in_the_apis_words(client, viewer, release_manager):
    rollout = rollout_built(
        user=release_manager,
        status=RolloutStatus.FAILED,
        status_reason="Upswift rejected the deploy call: flow_id: no such update flow",
        last_error="flow_id: no such update flow",
    )
    stage = rollout.stages.get(position=2)
    stage.last_error = "devices_filter.groups[0].name: no such group"
    stage.save()

    html = page(client, viewer, rollout)

    banner = html[html.index('id="banner"') : html.index('id="actions"')]
    assert 'role="alert"' in banner and "The rollout failed" in banner
    assert "Upswift rejected the deploy call: flow_id: no such update flow" in banner
    assert "Stage 2:</strong> devices_filter.groups[0].name: no such group" in banner


def test_the_banner_of_a_paused_rollout_says_queued_updates_may_still_apply(
    client, viewer, release_manager
):
    rollout = rollout_built(
        user=release_manager,
        status=RolloutStatus.PAUSED,
        status_reason="Stage 2 reached its failure threshold: 1 of 10 devices failed",
    )

    html = page(client, viewer, rollout)

    banner = html[html.index('id="banner"') : html.index('id="actions"')]
    assert "The rollout is paused" in banner
    assert "Stage 2 reached its failure threshold: 1 of 10 devices failed" in banner
    assert "may still apply it" in banner


def test_the_timeline_lists_events_newest_first_with_details(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager, events=0)
    EventFactory(
        rollout=rollout,
        kind="aborted",
        actor=release_manager,
        reason="bad build",
        details={"devices_with_queued_update": ["d-1", "d-2"]},
    )

    html = page(client, viewer, rollout)

    timeline = html[html.index('id="timeline"') : html.index('id="calls"')]
    assert timeline.index("Aborted") < timeline.index("Started")
    assert "bad build" in timeline
    assert "2 devices may still apply a queued update: d-1, d-2" in timeline


def test_the_call_log_shows_request_status_error_and_never_the_token(
    client, viewer, release_manager, settings
):
    settings.UPSWIFT_USER_TOKEN = "tok-live-secret-123"
    rollout = rollout_built(user=release_manager, calls=0)
    ApiCallFactory(
        rollout=rollout,
        state="failed",
        http_status=400,
        duration_ms=87.4,
        error_message="flow_id: no such update flow",
        request={
            "method": "POST",
            "path": "/deploy_update",
            "body": {"user_token": "***", "flow_id": "73a7-1ft8", "note": "tok-live-secret-123"},
        },
    )

    html = page(client, viewer, rollout)

    calls = html[html.index('id="calls"') :]
    assert "flow_id: no such update flow" in calls
    assert "&quot;flow_id&quot;: &quot;73a7-1ft8&quot;" in calls
    assert "&quot;user_token&quot;: &quot;***&quot;" in calls
    assert ">400<" in calls and ">87<" in calls
    assert "tok-live-secret-123" not in html


def test_the_device_table_filters_by_status_and_paginates(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager, devices=0)
    stage = rollout.stages.get(position=2)
    DeviceProgressFactory.create_batch(30, stage=stage, status="success")
    DeviceProgressFactory(stage=stage, status="failed", device_uuid="d-broken")
    client.force_login(viewer)
    url = reverse("stage_devices", args=[rollout.pk, 2])

    first = client.get(url).content.decode()
    failed = client.get(url + "?status=failed").content.decode()
    second = client.get(url + "?page=2", HTTP_HX_REQUEST="true").content.decode()

    # 30 + 1 here, and 4 more (failed, in progress, pending) from rollout_built
    table = first.split('id="device-table"')[1]
    assert "1–25 of 35" in first and table.index("d-broken") < table.index("Success</span>")
    assert "d-broken" in failed and failed.split("<tbody>")[1].count("<tr>") == 2
    assert "Success</span>" not in failed.split('id="device-table"')[1]
    assert "26–35 of 35" in second and "<html" not in second


def test_the_call_log_page_paginates(client, viewer, release_manager):
    rollout = rollout_built(user=release_manager, calls=0)
    ApiCallFactory.create_batch(55, rollout=rollout)
    client.force_login(viewer)

    html = client.get(reverse("rollout_calls", args=[rollout.pk])).content.decode()

    assert "1–50 of 55" in html and "Older" in html


def test_an_unknown_rollout_is_404(client, viewer):
    client.force_login(viewer)

    assert client.get(reverse("rollout_detail", args=[999999])).status_code == 404


# --- Honest status and kept evidence (issue 12) -----------------------------------------------


def _card(html, position) -> str:
    start = html.index(f'id="stage-{position}"')
    return html[start : html.index("</article>", start)]


@pytest.mark.parametrize(
    ("status", "label"), [(RolloutStatus.PAUSED, "Paused"), (RolloutStatus.ABORTED, "Aborted")]
)
def test_the_open_stage_badge_follows_a_stopped_rollout(
    client, viewer, release_manager, status, label
):
    rollout = rollout_built(user=release_manager, status=status)

    card = _card(page(client, viewer, rollout), 2)

    assert f'<span class="badge s-{status}" data-stage-status="monitoring">{label}</span>' in card
    assert ">Monitoring<" not in card


def test_a_completed_rollout_with_failures_says_so(client, viewer, release_manager):
    rollout = rollout_built(
        user=release_manager,
        status=RolloutStatus.COMPLETED,
        stage_statuses=(StageStatus.SUCCEEDED,) * 3,
    )
    stage = rollout.stages.get(position=3)
    type(stage).objects.filter(pk=stage.pk).update(count_failed=5, count_not_reached=2)

    html = page(client, viewer, rollout)

    status = html[
        html.index('id="rollout-status"') : html.index("</span>", html.index('id="rollout-status"'))
    ]
    assert "Completed with 5 failed, 2 not reached" in status


def test_a_retried_stage_card_keeps_each_pass(client, viewer, release_manager):
    from rollouts.engine.passes import pass_begin_retry, sample_record

    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED, devices=3)
    stage = rollout.stages.get(position=2)
    type(stage).objects.filter(pk=stage.pk).update(
        devices_total=11, count_success=3, count_failed=8, count_in_progress=0, count_pending=0
    )
    sample_record(stage)
    pass_begin_retry(stage=stage, actor=release_manager)
    type(stage).objects.filter(pk=stage.pk).update(count_success=11, count_failed=0)
    sample_record(stage)

    card = _card(page(client, viewer, rollout), 2)

    passes = card[card.index('id="stage-2-passes"') :]
    assert '<li data-pass="1">First pass 3/11 succeeded, 8 failed</li>' in passes
    assert '<li data-pass="2">Retry 8/8 succeeded <span class="muted">· rita</span></li>' in passes


def test_the_devices_panel_never_opens_on_a_stage_not_started(client, viewer, release_manager):
    waiting = rollout_built(
        user=release_manager, stage_statuses=(StageStatus.PENDING,) * 3, devices=0
    )
    running = rollout_built(user=release_manager)

    html = page(client, viewer, waiting)
    assert 'id="devices-none"' in html
    assert "Loading devices" not in html
    html = page(client, viewer, running)
    assert f"/rollouts/{running.pk}/stages/2/devices/" in html.split("Loading devices")[0][-400:]


def test_the_actions_comment_is_not_printed_on_the_page(client, release_manager):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.PAUSED)

    html = page(client, release_manager, rollout)

    assert 'id="actions"' in html
    assert "Every form is shown only for an action" not in html
