"""Which devices a deploy reaches: project, groups (any of), filters (AND), each type/operand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from upswift_simulator.testing import SimulatorHandle

from .helpers import all_devices, condition, deploy, deploy_body

SEED_EXAMPLE = {
    "flow_id": "73a7-1ft8",
    "devices_filter": {
        "project": {"name": "Demo"},
        "groups": [{"name": "TestGroup1"}, {"name": "TestGroup2"}],
        "filters": [{"type": "specific_device", "operand": "is", "value": "d-4ec7-1be9"}],
    },
    "metadata": {"comment": "test webhook 1", "app": {"name": "default_app", "version": "v1.1"}},
}


def _uuids(devices: list[dict], predicate: Callable[[dict], bool]) -> set[str]:
    return {d["device_uuid"] for d in devices if predicate(d)}


@pytest.fixture
def demo(sim: SimulatorHandle) -> list[dict]:
    return all_devices(sim, "Demo")


def test_seed_page_example_is_accepted_exactly(sim: SimulatorHandle) -> None:
    response = sim.api("POST", "deploy_update", SEED_EXAMPLE)

    assert response.status_code == 200
    assert response.text == '{"message": "Success"}'
    updates = sim.device("d-4ec7-1be9")["updates"]
    assert [(u["update_version"], u["comment"]) for u in updates] == [("v1.1", "test webhook 1")]
    assert sim.truth(comment="test webhook 1")["counts"]["pending"] == 1


def test_seed_device_is_in_demo_test_group(demo: list[dict]) -> None:
    seed_device = [d for d in demo if d["device_uuid"] == "d-4ec7-1be9"]

    assert len(seed_device) == 1
    assert seed_device[0]["group"] in ("TestGroup1", "TestGroup2")


def test_groups_match_any_listed_group(sim: SimulatorHandle, demo: list[dict]) -> None:
    expected = _uuids(demo, lambda d: d["group"] in ("TestGroup1", "EU-West"))

    got = deploy(sim, groups=["TestGroup1", "EU-West"])

    assert got == expected
    assert expected  # the fleet has devices in those groups


def test_empty_groups_mean_the_whole_project_only(sim: SimulatorHandle, demo: list[dict]) -> None:
    got = deploy(sim, groups=[], comment="everyone")

    assert got == _uuids(demo, lambda d: True)
    assert sim.truth(project="Greenhouse", comment="everyone")["counts"]["none"] > 0
    assert updated_elsewhere(sim, "everyone") == 0


def updated_elsewhere(sim: SimulatorHandle, comment: str) -> int:
    return sum(
        sim.truth(project=p, comment=comment)["devices"]
        - sim.truth(project=p, comment=comment)["counts"]["none"]
        for p in ("Greenhouse", "Kiosks", "Test")
    )


def test_filters_combine_with_and(sim: SimulatorHandle, demo: list[dict]) -> None:
    expected = _uuids(
        demo,
        lambda d: d["group"] == "Production" and "beta" in d["tags"] and "rack-a" not in d["tags"],
    )
    filters = [condition("tag", "is", "beta"), condition("tag", "is_not", "rack-a")]

    got = deploy(sim, groups=["Production"], filters=filters)

    assert got == expected
    assert 0 < len(got) < len(_uuids(demo, lambda d: d["group"] == "Production"))


@pytest.mark.parametrize(
    ("operand", "keep"),
    [("is", lambda d: d["device_uuid"] == "d-4ec7-1be9"), ("is_not", lambda d: True)],
)
def test_specific_device(
    sim: SimulatorHandle, demo: list[dict], operand: str, keep: Callable[[dict], bool]
) -> None:
    got = deploy(sim, filters=[condition("specific_device", operand, "d-4ec7-1be9")])

    expected = _uuids(demo, keep)
    if operand == "is_not":
        expected.discard("d-4ec7-1be9")
    assert got == expected


def test_specific_device_outside_the_groups_matches_nothing(sim: SimulatorHandle) -> None:
    got = deploy(
        sim, groups=["Production"], filters=[condition("specific_device", "is", "d-4ec7-1be9")]
    )

    assert got == set()


@pytest.mark.parametrize("operand", ["is", "is_not"])
def test_tag(sim: SimulatorHandle, demo: list[dict], operand: str) -> None:
    got = deploy(sim, filters=[condition("tag", operand, "canary")])

    expected = _uuids(demo, lambda d: ("canary" in d["tags"]) == (operand == "is"))
    assert got == expected
    canaries = _uuids(demo, lambda d: "canary" in d["tags"])
    assert 0 < len(canaries) <= 0.06 * len(demo)


@pytest.mark.parametrize("operand", ["is", "is_not"])
def test_app(sim: SimulatorHandle, demo: list[dict], operand: str) -> None:
    with_app = {d["device_uuid"] for d in demo if _has_app(sim, d, "telemetry-agent")}

    got = deploy(sim, filters=[condition("app", operand, "telemetry-agent")])

    all_uuids = _uuids(demo, lambda d: True)
    assert got == (with_app if operand == "is" else all_uuids - with_app)
    assert 0 < len(with_app) < len(all_uuids)


def _has_app(sim: SimulatorHandle, device: dict, app: str) -> bool:
    return any(a["app_name"] == app for a in sim.device(device["device_uuid"])["apps"])


@pytest.mark.parametrize("state", ["online", "offline"])
def test_device_state(sim: SimulatorHandle, demo: list[dict], state: str) -> None:
    sim.set_state("offline", group="TestGroup2", project="Demo")
    refreshed = all_devices(sim, "Demo")
    offline = {
        d["device_uuid"]
        for d in refreshed
        if sim.api("GET", "get_device_state", {"device_token": d["device_uuid"]}).json()["message"][
            "device_status"
        ]
        == "offline"
    }

    got = deploy(sim, filters=[condition("device_state", "is", state)])

    all_uuids = _uuids(refreshed, lambda d: True)
    assert got == (offline if state == "offline" else all_uuids - offline)
    assert _uuids(refreshed, lambda d: d["group"] == "TestGroup2") <= offline


def test_update_status_looks_at_the_last_update_only(
    sim: SimulatorHandle, demo: list[dict]
) -> None:
    group1 = _uuids(demo, lambda d: d["group"] == "TestGroup1")
    deploy(sim, groups=["TestGroup1"], comment="first")
    sim.advance(minutes=10)  # every online device of the group succeeds (failure rate 0)
    succeeded = {u for u, s in _last_statuses(sim, group1).items() if s == "success"}
    # A second deploy to one succeeded device makes its LAST update pending again.
    moved_on = sorted(succeeded)[0]
    deploy(sim, filters=[condition("specific_device", "is", moved_on)], comment="second")

    got = deploy(sim, filters=[condition("update_status", "is", "success")], comment="third")

    assert got == succeeded - {moved_on}
    assert len(succeeded) >= 2


def test_update_status_is_not_includes_devices_without_updates(
    sim: SimulatorHandle, demo: list[dict]
) -> None:
    deploy(sim, groups=["TestGroup1"], comment="first")  # all pending now

    got = deploy(sim, filters=[condition("update_status", "is_not", "pending")], comment="next")

    assert got == _uuids(demo, lambda d: d["group"] != "TestGroup1")


def test_update_status_is_never_matches_devices_without_updates(sim: SimulatorHandle) -> None:
    for status in ("pending", "success", "failed"):
        got = deploy(sim, filters=[condition("update_status", "is", status)], comment=status)
        assert got == set()


def test_update_status_failed_and_aborted(sim: SimulatorHandle, demo: list[dict]) -> None:
    sim.failure_rates(groups={"Lab": 1.0})
    deploy(sim, groups=["Lab", "TestGroup2"], comment="first")
    sim.advance(minutes=10)
    deploy(sim, groups=["TestGroup2"], comment="second")  # pending again
    deploy(sim, groups=["TestGroup2"], comment="third")  # aborts "second"
    lab_online = {
        u
        for u, s in _last_statuses(sim, _uuids(demo, lambda d: d["group"] == "Lab")).items()
        if s == "failed"
    }

    failed = deploy(sim, filters=[condition("update_status", "is", "failed")], comment="retry")

    assert failed == lab_online and failed
    assert deploy(sim, filters=[condition("update_status", "is", "aborted")], comment="x") == set()


def test_deploy_reports_matched_count_header(sim: SimulatorHandle, demo: list[dict]) -> None:
    response = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"]))

    assert int(response.headers["X-Sim-Matched"]) == len(
        _uuids(demo, lambda d: d["group"] == "Lab")
    )


def _last_statuses(sim: SimulatorHandle, uuids: set[str]) -> dict[str, str | None]:
    result = {}
    for uuid in uuids:
        updates = sim.device(uuid)["updates"]
        result[uuid] = updates[-1]["update_status"] if updates else None
    return result
