"""Helpers shared by the simulator tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from upswift_simulator.testing import SimulatorHandle

OTHER_TOKEN = "second-token"
START_TIME = "2025-03-01T12:00:00"


def deploy_body(
    *,
    project: str = "Demo",
    groups: tuple[str, ...] | list[str] = (),
    filters: list[dict[str, str]] | None = None,
    comment: str = "test",
    app: tuple[str, str] | None = ("default_app", "v1.1"),
    flow_id: str = "73a7-1ft8",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"comment": comment}
    if app is not None:
        metadata["app"] = {"name": app[0], "version": app[1]}
    return {
        "flow_id": flow_id,
        "devices_filter": {
            "project": {"name": project},
            "groups": [{"name": g} for g in groups],
            "filters": filters or [],
        },
        "metadata": metadata,
    }


def condition(kind: str, operand: str, value: str) -> dict[str, str]:
    return {"type": kind, "operand": operand, "value": value}


def deploy(sim: SimulatorHandle, **kwargs: Any) -> set[str]:
    """Deploy and return the uuids of the devices that received this deploy's update."""
    comment = kwargs.setdefault("comment", "test")
    response = sim.api("POST", "deploy_update", deploy_body(**kwargs))
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Success"}
    return updated_uuids(sim, comment, project=kwargs.get("project", "Demo"))


def updated_uuids(sim: SimulatorHandle, comment: str, project: str = "Demo") -> set[str]:
    found = sim.truth(project=project, comment=comment, devices=True)["device_uuids"]
    return {uuid for status, uuids in found.items() if status != "none" for uuid in uuids}


def all_devices(sim: SimulatorHandle, project: str = "Demo", **extra: Any) -> list[dict]:
    """Every device of the project through devices_details paging."""
    devices: list[dict] = []
    offset = 0
    while True:
        body = {"project_name": project, "limit": 500, "offset": offset, **extra}
        response = sim.api("GET", "devices_details", body)
        assert response.status_code == 200, response.text
        page = response.json()
        devices += page["message"]
        offset += 500
        if not page["more"]:
            return devices


def statuses(sim: SimulatorHandle, uuids: set[str] | list[str]) -> dict[str, str | None]:
    """uuid -> status of the device's last update."""
    result: dict[str, str | None] = {}
    for uuid in uuids:
        updates = sim.device(uuid)["updates"]
        result[uuid] = updates[-1]["update_status"] if updates else None
    return result
