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
