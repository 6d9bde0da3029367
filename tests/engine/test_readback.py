"""The cheapest read-back: with a fresh fleet inventory a stage's progress is read device by
device, by groups, or the whole project, whichever costs fewer calls, and the counts still equal
the simulator's truth."""

import math

import pytest
from django.core.cache import cache

from rollouts.engine import progress
from rollouts.engine.inventory import inventory_refresh
from rollouts.engine.outbox import calls_send_due
from rollouts.engine.readback import read_costs, read_plan
from rollouts.engine.steps import stage_begin
from rollouts.models import FleetRead
from tests.engine.scenes import started

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = 10


@pytest.fixture
def small_pages(settings):
    settings.UPSWIFT_PAGE_SIZE = PAGE


def deployed(sim, stages, position=1):
    """A rollout whose stage `position` was deployed and whose devices had time to update."""
    rollout, all_stages = started(stages)
    stage = all_stages[position - 1]
    assert stage_begin(rollout=rollout, stage=stage, earlier=all_stages[: position - 1])
    assert calls_send_due(rollout=rollout, stage=stage)
    stage.refresh_from_db()
    sim.advance(minutes=30)
    return rollout, stage


def reads(sim, since):
    return [c for c in sim.calls(since) if c["path"].endswith("/devices_details")]


def test_a_canary_is_read_device_by_device(sim, small_pages):
    assert inventory_refresh(project="Demo")
    rollout, stage = deployed(sim, [{"target": "tag", "tag": "canary"}])
    truth = sim.truth(project="Demo", tag="canary", comment=rollout.marker(stage))
    since = len(sim.calls())

    assert progress.stage_poll(rollout=rollout, stage=stage)

    calls = reads(sim, since)
    assert len(calls) == truth["devices"]  # one call per canary device, not a page of the project
    assert len(calls) < math.ceil(sim.truth(project="Demo")["devices"] / PAGE)
    canary = sim.truth(project="Demo", tag="canary", devices=True)["device_uuids"]
    assert {c["body"]["device_token"] for c in calls} == {u for us in canary.values() for u in us}
    assert (stage.devices_total, stage.count_success, stage.count_failed) == (
        truth["devices"],
        truth["counts"]["success"],
        truth["counts"]["failed"],
    )


def test_a_groups_stage_costs_ceil_of_its_devices_over_the_page(sim, small_pages):
    assert inventory_refresh(project="Demo")
    rollout, stage = deployed(sim, [{"target": "groups", "groups": ["TestGroup1", "Lab"]}])
    sizes = [sim.truth(project="Demo", groups=[g])["devices"] for g in ("TestGroup1", "Lab")]
    since = len(sim.calls())

    assert progress.stage_poll(rollout=rollout, stage=stage)

    assert len(reads(sim, since)) == sum(math.ceil(n / PAGE) for n in sizes)
    assert stage.devices_total == sum(sizes)


def test_an_all_stage_reads_the_project_and_the_plan_says_why(sim, small_pages):
    assert inventory_refresh(project="Demo")
    rollout, stage = deployed(sim, [{"target": "all"}])
    devices = sim.truth(project="Demo")["devices"]

    costs = read_costs(project="Demo", stage=stage)
    assert costs["project"]["calls"] == math.ceil(devices / PAGE)
    assert costs["groups"]["calls"] >= costs["project"]["calls"]
    assert costs["devices"]["calls"] == devices
    assert read_plan(project="Demo", stage=stage)["by"] == "project"


def test_without_an_inventory_the_project_is_read_as_before(sim, small_pages):
    rollout, stage = deployed(sim, [{"target": "tag", "tag": "canary"}])
    since = len(sim.calls())

    assert read_plan(project="Demo", stage=stage) == {"by": "project", "scopes": [], "calls": None}
    assert progress.stage_poll(rollout=rollout, stage=stage)
    assert len(reads(sim, since)) == math.ceil(sim.truth(project="Demo")["devices"] / PAGE)


def test_a_device_by_device_pass_cut_short_goes_on_without_reading_a_device_twice(
    sim, small_pages, settings
):
    assert inventory_refresh(project="Demo")
    rollout, stage = deployed(sim, [{"target": "tag", "tag": "canary"}])
    settings.UPSWIFT_CALLS_PER_MINUTE = 2
    canary = sim.truth(project="Demo", tag="canary")["devices"]
    since = len(sim.calls())
    cache.clear()

    ticks = 1
    while not progress.stage_poll(rollout=rollout, stage=stage):
        assert stage.poll_cursor["read"]["by"] == "devices"
        FleetRead.objects.update(completed_at=None)  # the plan is kept, whatever happens
        cache.clear()
        ticks += 1
        assert ticks < 50

    tokens = [c["body"]["device_token"] for c in reads(sim, since)]
    assert len(tokens) == len(set(tokens)) == canary
    assert ticks == math.ceil(canary / 2)
    assert stage.devices_total == canary
