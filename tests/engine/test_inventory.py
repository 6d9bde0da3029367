"""The fleet inventory's refresh against the simulator: what it stores equals the simulator's
truth, it stays within its share of the API budget and goes on where the budget stopped it, and
a pass writes only the rows that changed."""

import math

import pytest
from django.core.cache import cache

from rollouts.engine.inventory import inventory_refresh, inventory_refresh_due
from rollouts.engine.steps import stage_begin
from rollouts.models import (
    ApiCall,
    FleetDevice,
    FleetRead,
    PauseCause,
    Plan,
    RolloutStatus,
    StageStatus,
)
from tests.engine.scenes import started
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def api_calls(sim, since=0, path=""):
    return [c for c in sim.calls(since) if c["path"].endswith(path)]


def test_a_whole_read_stores_what_the_simulator_holds(sim):
    truth = sim.truth(project="Demo", devices=True)

    assert inventory_refresh(project="Demo") is True

    rows = FleetDevice.objects.filter(project="Demo")
    assert rows.count() == truth["devices"]
    assert set(rows.values_list("device_uuid", flat=True)) == {
        u for uuids in truth["device_uuids"].values() for u in uuids
    }
    assert rows.filter(online=True).count() == truth["online"]
    example = sim.device("d-4ec7-1be9")
    row = rows.get(device_uuid="d-4ec7-1be9")
    assert (row.name, row.group, row.agent_version) == (
        example["device_name"],
        example["group"],
        example["upswift_version"],
    )
    assert row.tags == sorted(example["tags"])
    assert row.last_keepalive == example["last_keepalive"]
    read = FleetRead.objects.get(project="Demo")
    assert read.cursor == {} and read.completed_at is not None and read.error == ""
    assert read.devices == truth["devices"]
    assert read.last_calls == len(api_calls(sim))


def test_the_read_stays_within_its_budget_share_and_goes_on_where_it_stopped(sim, settings):
    settings.UPSWIFT_PAGE_SIZE = 10
    settings.UPSWIFT_CALLS_PER_MINUTE = 6
    settings.FLEET_BUDGET_SHARE = 0.5  # 3 calls a minute for the inventory
    devices = sim.truth(project="Demo")["devices"]

    ticks = 0
    since = 0
    while True:
        ticks += 1
        done = inventory_refresh(project="Demo")
        calls = api_calls(sim, since)
        assert len(calls) <= 3, "one tick took more than the inventory's share"
        since += len(calls)
        if done:
            break
        assert FleetRead.objects.get(project="Demo").cursor["phase"] in ("details", "states")
        cache.clear()  # the next minute's budget
        assert ticks < 100

    details = api_calls(sim, path="/devices_details")
    states = api_calls(sim, path="/get_devices_state")
    assert len(details) == math.ceil(devices / 10)  # each page read once
    assert [c["body"]["offset"] for c in details] == list(range(0, devices, 10))
    assert len(states) == math.ceil((devices + 1) / 50)
    assert ticks == math.ceil((len(details) + len(states)) / 3)
    assert FleetDevice.objects.filter(project="Demo").count() == devices
    assert FleetDevice.objects.filter(project="Demo", online=True).count() == devices
    assert FleetRead.objects.get(project="Demo").last_calls == len(details) + len(states)


def test_a_second_read_writes_only_the_rows_that_changed(sim):
    assert inventory_refresh(project="Demo")
    before = dict(FleetDevice.objects.values_list("device_uuid", "updated_at"))

    assert inventory_refresh(project="Demo")
    assert FleetRead.objects.get(project="Demo").last_written == 0
    assert dict(FleetDevice.objects.values_list("device_uuid", "updated_at")) == before

    sim.set_state("offline", device_uuids=["d-4ec7-1be9"])
    assert inventory_refresh(project="Demo")
    # its details row (the keep-alive stops) and its online state: that one device only
    assert 1 <= FleetRead.objects.get(project="Demo").last_written <= 2
    after = dict(FleetDevice.objects.values_list("device_uuid", "updated_at"))
    assert [u for u in after if after[u] != before[u]] == ["d-4ec7-1be9"]
    assert FleetDevice.objects.get(device_uuid="d-4ec7-1be9").online is False


def test_a_device_gone_from_the_project_leaves_the_inventory(sim):
    assert inventory_refresh(project="Demo")
    FleetDevice.objects.create(project="Demo", device_uuid="d-gone-0000", group="Lab")

    assert inventory_refresh(project="Demo")

    assert not FleetDevice.objects.filter(device_uuid="d-gone-0000").exists()


def test_an_unknown_project_is_recorded_with_upswifts_answer(sim):
    assert inventory_refresh(project="Dmeo") is True

    read = FleetRead.objects.get(project="Dmeo")
    assert "Dmeo" in read.error and "does not exist" in read.error
    assert not FleetDevice.objects.filter(project="Dmeo").exists()


def test_beat_reads_the_projects_plans_name_and_skips_fresh_ones(sim):
    Plan.objects.create(name="p", project="Kiosks", created_by=UserFactory())

    assert inventory_refresh_due() == {"Kiosks": True}
    assert (
        FleetDevice.objects.filter(project="Kiosks").count()
        == sim.truth(project="Kiosks")["devices"]
    )
    since = len(sim.calls())
    assert inventory_refresh_due() == {}  # fresh: no call
    assert sim.calls(since) == []


def test_a_group_deleted_between_start_and_stage_2_pauses_with_the_reason(sim):
    assert inventory_refresh(project="Demo")
    rollout, (canary, group) = started(
        [{"target": "tag", "tag": "canary"}, {"target": "groups", "groups": ["TestGroup2"]}]
    )
    sim.delete_group("TestGroup2", move_to="Lab")
    assert inventory_refresh(project="Demo")
    since = len(sim.calls())

    assert stage_begin(rollout=rollout, stage=group, earlier=[canary]) is False

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.REJECTED)
    assert "group 'TestGroup2' no longer exists in project Demo" in rollout.status_reason
    group.refresh_from_db()
    assert group.status == StageStatus.PENDING
    assert not ApiCall.objects.filter(stage=group).exists()
    # the inventory's answer was confirmed by one call naming the group, and nothing deployed
    (confirm,) = sim.calls(since)
    assert confirm["path"].endswith("/devices_details")
    assert (confirm["body"]["group_name"], confirm["status"]) == ("TestGroup2", 400)


def test_a_group_the_inventory_has_not_seen_yet_is_confirmed_by_one_call_then_starts(sim):
    assert inventory_refresh(project="Demo")
    FleetDevice.objects.filter(group="TestGroup2").delete()  # as if created after the read
    rollout, (stage,) = started([{"target": "groups", "groups": ["TestGroup2"]}])
    since = len(sim.calls())

    assert stage_begin(rollout=rollout, stage=stage, earlier=[]) is True

    (confirm,) = sim.calls(since)
    assert (confirm["body"]["group_name"], confirm["body"]["limit"], confirm["status"]) == (
        "TestGroup2",
        1,
        200,
    )
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.RUNNING


def test_a_known_group_costs_no_call_at_stage_start(sim):
    assert inventory_refresh(project="Demo")
    rollout, (stage,) = started([{"target": "groups", "groups": ["TestGroup2"]}])
    since = len(sim.calls())

    assert stage_begin(rollout=rollout, stage=stage, earlier=[]) is True
    assert sim.calls(since) == []


def test_a_run_stops_at_half_a_workers_time_limit_and_keeps_its_place(sim, settings):
    settings.UPSWIFT_PAGE_SIZE = 10
    settings.ROLLOUT_STEP_TIME_LIMIT = 0  # every run stops before its first call

    assert inventory_refresh(project="Demo") is False
    assert FleetRead.objects.get(project="Demo").cursor == {"phase": "details", "offset": 0}
    assert api_calls(sim) == []

    settings.ROLLOUT_STEP_TIME_LIMIT = 150
    assert inventory_refresh(project="Demo") is True


def test_the_beat_task_reads_once_at_a_time(sim):
    from rollouts.tasks import fleet_refresh

    cache.add("fleet:refresh-lock", 1)
    assert fleet_refresh("Demo") == {}  # another run holds the lock
    cache.delete("fleet:refresh-lock")

    assert fleet_refresh("Demo") == {"Demo": True}
    assert cache.get("fleet:refresh-lock") is None
    assert (
        FleetDevice.objects.filter(project="Demo").count() == sim.truth(project="Demo")["devices"]
    )
