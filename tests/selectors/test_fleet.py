"""Preview counts from the fleet inventory equal the simulator's truth: per stage, the devices
it would target now, excluding earlier stages as the engine does, with the online split."""

import pytest

from rollouts.models import FleetDevice
from rollouts.selectors.fleet import (
    fleet_freshness,
    project_groups,
    project_tags,
    stage_target_counts,
)
from rollouts.services.plans import plan_create
from tests.support.fleet import inventory_read

pytestmark = pytest.mark.django_db(transaction=True)

GROUPS = ["TestGroup1", "TestGroup2"]


def uuids(truth) -> set[str]:
    return {u for found in truth["device_uuids"].values() for u in found}


def test_counts_equal_the_simulators_truth_for_canary_groups_and_all(fleet_sim):
    canaries = sorted(uuids(fleet_sim.truth(project="Demo", tag="canary", devices=True)))
    fleet_sim.set_state("offline", device_uuids=canaries[:2])
    inventory_read("Demo")
    plan = plan_create(
        name="three",
        project="Demo",
        stages=[
            {"target": "tag", "tag": "canary"},
            {"target": "groups", "groups": GROUPS},
            {"target": "all"},
        ],
    )

    counts = stage_target_counts("Demo", list(plan.stages.order_by("position")))

    every = fleet_sim.truth(project="Demo", devices=True)
    canary = fleet_sim.truth(project="Demo", tag="canary", devices=True)
    groups = fleet_sim.truth(project="Demo", groups=GROUPS, devices=True)
    both = fleet_sim.truth(project="Demo", groups=GROUPS, tag="canary")
    expected = [
        (canary["devices"], canary["online"]),
        (groups["devices"] - both["devices"], groups["online"] - both["online"]),
        (
            len(uuids(every) - uuids(groups) - uuids(canary)),
            every["online"] - groups["online"] - (canary["online"] - both["online"]),
        ),
    ]
    got = [(s.devices, s.online) for s in counts.stages]
    assert got == expected
    assert all(s.offline == s.devices - s.online for s in counts.stages)
    assert counts.total == every["devices"]  # every device in exactly one stage
    assert counts.stages[0].offline > 0 and counts.stages[2].offline > 0
    assert counts.as_dict()["total_online"] == every["online"]


def test_an_online_only_stage_counts_its_online_devices(fleet_sim):
    inventory_read("Demo")
    stages = [{"target": "groups", "groups": ["Production"], "online_only": True}]

    (stage,) = stage_target_counts("Demo", stages).stages

    truth = fleet_sim.truth(project="Demo", groups=["Production"])
    assert (stage.devices, stage.online, stage.offline) == (truth["online"], truth["online"], 0)


def test_a_stage_left_with_nothing_counts_zero_with_the_engines_reason(fleet_sim):
    inventory_read("Demo")
    stages = [{"target": "groups", "groups": ["Lab"]}, {"target": "groups", "groups": ["Lab"]}]

    counts = stage_target_counts("Demo", stages)

    assert counts.stages[1].devices == 0
    assert "earlier stage" in counts.stages[1].empty_reason


def test_names_and_freshness_come_from_the_inventory(fleet_sim):
    assert stage_target_counts("Demo", [{"target": "all"}]).known is False
    inventory_read("Demo")

    assert "TestGroup1" in project_groups("Demo")
    assert "Staging" not in project_groups("Demo")  # an empty group has no device to show it
    assert "canary" in project_tags("Demo")
    fresh = fleet_freshness("Demo")
    assert fresh["age_seconds"] < 60 and fresh["reading"] is False
    assert stage_target_counts("Demo", [{"target": "all"}]).total == FleetDevice.objects.count()
