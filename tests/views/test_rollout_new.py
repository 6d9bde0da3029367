from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollouts.models import EventKind, Rollout, RolloutStatus
from tests.factories import PlanFactory
from tests.support.console_data import plan_three_stages

pytestmark = pytest.mark.django_db


def form(plan, **overrides):
    return {
        "plan": plan.pk,
        "flow_id": "73a7-1ft8",
        "app_name": "default_app",
        "app_version": "v2.0",
        "comment": "release 2",
        "start": "now",
        **overrides,
    }


def test_the_form_previews_each_stage_filters_before_the_start_button(client, release_manager):
    plan = plan_three_stages(name="Three")
    client.force_login(release_manager)

    html = client.get(reverse("rollout_new") + f"?plan={plan.pk}").content.decode()

    preview = html.index('id="preview"')
    assert preview < html.index("Start rollout")
    stage1 = html[html.index('id="preview-stage-1"') : html.index('id="preview-stage-2"')]
    stage2 = html[html.index('id="preview-stage-2"') : html.index('id="preview-stage-3"')]
    stage3 = html[html.index('id="preview-stage-3"') :]
    assert "<code>tag is canary</code>" in stage1 and "<code>all groups</code>" in stage1
    assert "<code>EU-West</code>" in stage2 and "<code>tag is not canary</code>" in stage2
    assert "(every other group)" in stage3 and "except EU-West" in stage3
    assert "<code>update_status is not in_progress</code>" in stage3


def test_the_preview_fragment_follows_the_chosen_plan(client, release_manager):
    plan = PlanFactory(name="Solo")
    plan.stages.create(position=1, target="groups", groups=["Lab"], online_only=True)
    client.force_login(release_manager)

    html = client.get(reverse("rollout_preview") + f"?plan={plan.pk}").content.decode()

    assert "<code>Lab</code>" in html
    assert "<code>device_state is online</code>" in html
    assert "<html" not in html  # a fragment


def test_a_stage_with_nothing_left_is_shown_as_skipped(client, release_manager):
    plan = PlanFactory()
    plan.stages.create(position=1, target="groups", groups=["Lab"])
    plan.stages.create(position=2, target="groups", groups=["Lab"])
    client.force_login(release_manager)

    html = client.get(reverse("rollout_preview") + f"?plan={plan.pk}").content.decode()

    assert "this stage will be skipped" in html


def test_starting_creates_a_running_rollout_and_approves_stage_one(client, release_manager):
    plan = plan_three_stages()
    client.force_login(release_manager)

    response = client.post(reverse("rollout_new"), form(plan))

    rollout = Rollout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rollout_detail", args=[rollout.pk])
    assert rollout.status == RolloutStatus.RUNNING
    assert (rollout.created_by, rollout.started_by) == (release_manager, release_manager)
    first = rollout.stages.get(position=1)
    assert first.approved_by == release_manager
    assert rollout.stages.count() == 3
    assert set(rollout.events.values_list("kind", flat=True)) == {
        EventKind.CREATED,
        EventKind.STARTED,
    }
    page = client.get(response["Location"]).content.decode()
    assert f"Rollout {rollout.pk} started: stage 1 is approved." in page


def test_starting_at_a_time_schedules_it(client, release_manager):
    plan = plan_three_stages()
    client.force_login(release_manager)
    at = timezone.localtime() + timedelta(hours=2)

    client.post(
        reverse("rollout_new"),
        form(plan, start="at", start_at=at.strftime("%Y-%m-%dT%H:%M")),
    )

    rollout = Rollout.objects.get()
    assert rollout.status == RolloutStatus.SCHEDULED
    assert abs((rollout.scheduled_at - at).total_seconds()) < 60


def test_a_time_in_the_past_or_missing_is_refused_next_to_the_field(client, release_manager):
    plan = plan_three_stages()
    client.force_login(release_manager)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    missing = client.post(reverse("rollout_new"), form(plan, start="at")).content.decode()
    in_past = client.post(
        reverse("rollout_new"), form(plan, start="at", start_at=past)
    ).content.decode()

    assert "Say when the rollout starts." in missing
    assert "Pick a time in the future, or start now." in in_past
    assert not Rollout.objects.exists()


def test_required_fields_are_marked(client, release_manager):
    plan = plan_three_stages()
    client.force_login(release_manager)

    html = client.post(reverse("rollout_new"), form(plan, flow_id="")).content.decode()

    field = html.index('data-field="flow_id"')
    assert "This field is required." in html[field : field + 800]
    assert "The rollout was not started" in html
    assert not Rollout.objects.exists()


def test_a_plan_without_stages_cannot_start(client, release_manager):
    plan = PlanFactory()
    client.force_login(release_manager)

    response = client.post(reverse("rollout_new"), form(plan), follow=True)

    assert "The rollout was not started: The plan has no stages." in response.content.decode()
    assert not Rollout.objects.exists()
