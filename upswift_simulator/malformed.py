"""Devices that the read calls return in a malformed shape (``POST /_sim/devices/malformed``).

For testing a client against data the real API might one day send. Kinds:
- ``long_uuid``: ``device_uuid`` of 100 characters (``d-long-00001-000...``);
- ``nul_name``: ``device_name`` containing a NUL byte (``bad\\u0000name-00001``);
- ``bad_updates``: ``updates`` is the string ``"unavailable"`` instead of a list (in
  ``devices_details`` and ``/_sim/device``; ``get_devices_state`` has no ``updates``).

Each is otherwise an ordinary, online device (no tags, no apps, no updates, never churns)
appended to the project (after every seeded device, so the read calls page through it in
generation order like any other). Invariants that keep the simulator safe:
- a device filter never selects it (``Fleet.malformed`` is subtracted in
  ``filters.select_devices``): deploy_update, DELETE device_tags / device_apps skip it, so
  it never gets an update and its internal ``updates`` stays an empty list;
- ``/_sim/truth`` leaves it out of ``devices``/``online``/``offline``/``counts`` and counts
  it in ``malformed`` instead;
- a reset drops it (the fleet is rebuilt).
"""

from __future__ import annotations

from typing import Any

from .fleet import Device, Fleet

KINDS = ("long_uuid", "nul_name", "bad_updates")
LONG_UUID_LENGTH = 100
BAD_UPDATES = "unavailable"
DEVICE_ID_BASE = 90_000_000  # generated device ids are below 10,000,000


class MalformedDevice(Device):
    """A device whose API shape is broken in one way (``kind``)."""

    __slots__ = ("kind",)

    def to_dict(self, now: float) -> dict[str, Any]:
        data = super().to_dict(now)
        if self.kind == "bad_updates":
            data["updates"] = BAD_UPDATES
        return data

    def to_internal_dict(self, now: float) -> dict[str, Any]:
        data = super().to_internal_dict(now)
        data["malformed"] = self.kind
        return data


def add_malformed(
    fleet: Fleet, *, kind: str, count: int, project: str, group: str, now: float
) -> list[str]:
    """Append ``count`` malformed devices of ``kind`` to ``project``/``group`` (validated by
    the caller); returns their uuids. Numbering continues across calls until a reset."""
    uuids: list[str] = []
    for _ in range(count):
        seq = len(fleet.malformed) + 1
        device = MalformedDevice(len(fleet.devices))
        device.kind = kind
        if kind == "long_uuid":
            device.uuid = f"d-long-{seq:05d}-".ljust(LONG_UUID_LENGTH, "0")
        else:  # "nul" / "upd" are not hex: never equal to a generated d-xxxx-xxxx uuid
            device.uuid = f"d-{'nul' if kind == 'nul_name' else 'upd'}-{seq:05d}"
        device.name = f"bad\x00name-{seq:05d}" if kind == "nul_name" else f"malformed-{seq:05d}"
        device.project, device.group = project, group
        device.device_id = DEVICE_ID_BASE + seq
        device.ip = f"192.0.2.{seq % 256}"
        device.upswift_version = "5.1"
        device.cpu, device.ram, device.disk = 1, 5, 100.0
        device.registered = now
        device.keepalive_phase = 0.0
        fleet.add_device(device)
        fleet.malformed.add(device.index)
        uuids.append(device.uuid)
    return uuids
