"""The same seed gives the same fleet and the same outcomes after the same calls."""

from __future__ import annotations

from upswift_simulator.testing import SimulatorHandle, running_simulator

from .helpers import START_TIME, all_devices, condition, deploy

OPTIONS = {"devices": 250, "seed": 11, "failure_rate": 0.3, "start_time": START_TIME}


def _scenario(sim: SimulatorHandle) -> dict[str, list[dict]]:
    deploy(sim, filters=[condition("tag", "is", "canary")], comment="canary")
    sim.advance(minutes=3)
    deploy(sim, groups=["Production", "Lab"], comment="wave", app=("default_app", "v2"))
    sim.set_state("offline", project="Demo", group="Lab")
    sim.advance(minutes=4)
    deploy(sim, filters=[condition("update_status", "is", "failed")], comment="retry")
    sim.advance(minutes=10)
    return {p: all_devices(sim, p) for p in ("Demo", "Greenhouse", "Kiosks", "Test")}


def test_same_seed_same_fleet_and_outcomes() -> None:
    with running_simulator(**OPTIONS) as first, running_simulator(**OPTIONS) as second:
        assert all_devices(first, "Greenhouse") == all_devices(second, "Greenhouse")
        one, two = _scenario(first), _scenario(second)

    assert one == two
    statuses = {u["update_status"] for d in one["Demo"] for u in d["updates"]}
    assert {"success", "failed"} <= statuses  # the scenario really produced both outcomes


def test_other_seed_other_fleet() -> None:
    with (
        running_simulator(**OPTIONS) as first,
        running_simulator(**{**OPTIONS, "seed": 12}) as second,
    ):
        one, two = all_devices(first), all_devices(second)

    assert [d["device_uuid"] for d in one] != [d["device_uuid"] for d in two]
    assert one[0]["device_uuid"] == two[0]["device_uuid"] == "d-4ec7-1be9"
