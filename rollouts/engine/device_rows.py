"""A stage's device rows as read back: compared with what is stored, and written as plain
tuples (stages run to 100,000 devices; model instances through bulk_create cost seconds)."""

from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from rollouts.models import DeviceProgress, RolloutStage


class Row(NamedTuple):
    """A device row of a stage as read back, in DeviceProgress's column order."""

    device_name: str
    group: str
    online: bool
    status: str
    update_id: int | None


UUID_MAX = DeviceProgress._meta.get_field("device_uuid").max_length


def device_row_problem(device: object) -> str:
    """Why a device read back from the API cannot be stored ("" when it can): a missing,
    over-long or unprintable uuid, a name or group that is not text or holds a NUL byte, or
    updates that are not a list. Such a row is skipped and counted, never allowed to stop a
    pass."""
    if not isinstance(device, dict):
        return "not an object"
    uuid = device.get("device_uuid")
    if not isinstance(uuid, str) or not uuid or len(uuid) > UUID_MAX or not uuid.isprintable():
        return "bad device_uuid"
    for field in ("device_name", "group"):
        value = device.get(field)
        if value is not None and (not isinstance(value, str) or "\x00" in value):
            return f"bad {field}"
    updates = device.get("updates") or []
    if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
        return "bad updates"
    return ""


def rows_changed(stage: RolloutStage, rows: dict[str, Row]) -> list[tuple[str, Row]]:
    """The rows that are new or differ from what is stored: a pass writes only what moved, so
    a device's `updated_at` is when its state last changed."""
    stored = {
        uuid: Row(*state)
        for uuid, *state in stage.devices.values_list("device_uuid", *Row._fields).iterator(
            chunk_size=10_000
        )
    }
    return [(uuid, row) for uuid, row in rows.items() if stored.get(uuid) != row]


PG_TYPES = {
    "stage_id": "bigint",
    "device_uuid": "varchar",
    "device_name": "varchar",
    "group": "varchar",
    "online": "boolean",
    "status": "varchar",
    "update_id": "bigint",
    "updated_at": "timestamptz",
}


def rows_upsert(stage: RolloutStage, rows: list[tuple[str, Row]], *, unnest=None) -> None:
    """Insert or update device rows as plain tuples (no model instances: stages run to
    100,000 devices). PostgreSQL takes a batch as one array per column (`unnest`), other
    databases as a multi-row VALUES; both with `ON CONFLICT … DO UPDATE`."""
    if unnest is None:
        unnest = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    columns = ("stage_id", "device_uuid", *Row._fields, "updated_at")
    names = ", ".join(quote(c) for c in columns)
    updated = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns[2:])
    # Names come from the model, values go as parameters.
    table = quote(DeviceProgress._meta.db_table)
    conflict = f" ON CONFLICT (stage_id, device_uuid) DO UPDATE SET {updated}"
    now = timezone.now()
    batch_size = 10_000 if unnest else 1_000
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = [(stage.pk, uuid, *row, now) for uuid, row in rows[start : start + batch_size]]
            if unnest:
                types = ", ".join(f"%s::{PG_TYPES[c]}[]" for c in columns)
                sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({types})"  # noqa: S608
                params = [list(column) for column in zip(*batch, strict=True)]
            else:
                values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
                sql = f"INSERT INTO {table} ({names}) VALUES {values}"  # noqa: S608
                params = [v for row in batch for v in row]
            cursor.execute(sql + conflict, params)
