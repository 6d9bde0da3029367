"""A read-back pass that the API budget cuts short goes on where it stopped."""

import math

import pytest

from rollouts.engine import progress
from rollouts.engine.outbox import calls_send_due
from rollouts.engine.steps import stage_begin
from rollouts.models import DeviceProgress
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pass_cut_short_by_the_budget_resumes_without_reading_a_page_twice(sim, settings):
    from django.core.cache import cache

    user = UserFactory()
    plan = plan_create(name="p", project="Demo", stages=[{"target": "all"}], actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="f", app_name="default_app", app_version="v7", actor=user
    )
    rollout_start(rollout=rollout, actor=user)
    stage = rollout.stages.get()
    assert stage_begin(rollout=rollout, stage=stage, earlier=[])
    assert calls_send_due(rollout=rollout, stage=stage)
    stage.refresh_from_db()
    sim.advance(minutes=30)
    devices = sim.truth(project="Demo")["devices"]
    settings.UPSWIFT_PAGE_SIZE = 10
    settings.UPSWIFT_CALLS_PER_MINUTE = 3
    calls_before = len(sim.calls())

    segments = 0
    while not progress.stage_poll(rollout=rollout, stage=stage):
        segments += 1
        assert stage.poll_cursor, "a cut-short pass keeps its place"
        assert stage.last_polled_at is None  # no counts until the pass is whole
        cache.clear()  # the next minute's budget
        assert segments < 20

    pages = [c for c in sim.calls()[calls_before:] if c["path"].endswith("devices_details")]
    assert segments == math.ceil(math.ceil(devices / 10) / 3) - 1
    assert len(pages) == math.ceil(devices / 10)  # each page read once
    assert stage.poll_cursor == {}
    assert stage.devices_total == devices == DeviceProgress.objects.filter(stage=stage).count()
    assert stage.count_success == sim.truth(project="Demo", comment="[rollout")["counts"]["success"]


def _monitoring(sim):
    user = UserFactory()
    plan = plan_create(name="p", project="Demo", stages=[{"target": "all"}], actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="f", app_name="default_app", app_version="v7", actor=user
    )
    rollout_start(rollout=rollout, actor=user)
    stage = rollout.stages.get()
    assert stage_begin(rollout=rollout, stage=stage, earlier=[])
    assert calls_send_due(rollout=rollout, stage=stage)
    stage.refresh_from_db()
    sim.advance(minutes=30)
    return rollout, stage


def test_a_pass_the_budget_stops_before_its_first_page_leaves_no_row(sim, settings):
    from django.core.cache import cache

    from rollouts.engine.budget import budget_acquire
    from rollouts.models import ApiCall, CallKind

    rollout, stage = _monitoring(sim)
    settings.UPSWIFT_CALLS_PER_MINUTE = 1
    cache.clear()
    assert budget_acquire() == 0  # the one call of the window, spent elsewhere
    calls_before = len(sim.calls())

    assert [progress.stage_poll(rollout=rollout, stage=stage) for _ in range(5)] == [False] * 5

    assert not ApiCall.objects.filter(rollout=rollout, kind=CallKind.POLL).exists()
    assert len(sim.calls()) == calls_before
    assert stage.poll_cursor["offset"] == 0  # the pass will start from the first page


def test_a_429_mid_pass_keeps_the_pages_read_and_goes_on_from_there(sim, settings):
    from django.core.cache import cache

    from rollouts.engine.budget import budget_status
    from rollouts.models import ApiCall, CallKind, CallState

    rollout, stage = _monitoring(sim)
    settings.UPSWIFT_PAGE_SIZE = 10
    settings.UPSWIFT_CALLS_PER_MINUTE = 0  # the console's own limit is off: Upswift's answers
    devices = sim.truth(project="Demo")["devices"]
    sim.set_rate_limit(3)
    calls_before = len(sim.calls())

    assert progress.stage_poll(rollout=rollout, stage=stage) is False

    assert [c["status"] for c in sim.calls()[calls_before:]] == [200, 200, 200, 429]
    assert stage.poll_cursor == {"scope": 0, "offset": 30, "pass": "progress"}
    assert DeviceProgress.objects.filter(stage=stage).count() == 30  # the pages read are kept
    assert budget_status()["cooldown_seconds"] > 0  # every worker waits for the Retry-After
    row = ApiCall.objects.get(rollout=rollout, kind=CallKind.POLL)
    assert (row.state, row.http_status, row.pages) == (CallState.FAILED, 429, 3)
    assert "goes on at" in row.error_message

    sim.set_rate_limit(0)
    cache.clear()  # the Retry-After has passed
    assert progress.stage_poll(rollout=rollout, stage=stage) is True

    pages = [c for c in sim.calls()[calls_before:] if c["status"] == 200]
    assert len(pages) == math.ceil(devices / 10)  # no page read twice
    assert stage.devices_total == devices == DeviceProgress.objects.filter(stage=stage).count()
