"""The fleet inventory: what the console last read of each project's devices.

Upswift has no call that lists projects or groups, so the inventory is what a read of
`devices_details` (and `get_devices_state` for the online state) saw. It feeds the names checks,
the preview counts, the fleet pages and the cheapest read-back of a stage; `FleetRead` says how
fresh it is and where an unfinished read goes on.
"""

from django.db import models


class FleetDevice(models.Model):
    """One device as the last inventory read saw it. Only rows that changed are written."""

    project = models.CharField(max_length=120)
    device_uuid = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    group = models.CharField(max_length=200, blank=True)
    # "|a|b|": one text column so a tag filter is a plain `contains` on every database.
    tags_text = models.CharField(max_length=2000, blank=True)
    online = models.BooleanField(null=True)  # None until get_devices_state was read
    last_keepalive = models.CharField(max_length=40, blank=True)
    # Apps as the API listed them ({name: version}) when it does; v1 does not, so `app_version`
    # is the version of the newest successful update instead.
    app_versions = models.JSONField(default=dict, blank=True)
    app_version = models.CharField(max_length=100, blank=True)
    agent_version = models.CharField(max_length=40, blank=True)
    # The newest update: {"update_id", "status", "version", "comment", "scheduled"}.
    latest_update = models.JSONField(default=dict, blank=True)
    # Every update Upswift returned (the device page's history), newest last.
    updates = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "device_uuid"], name="fleet_device_unique")
        ]
        indexes = [
            models.Index(fields=["project", "group"], name="fleet_device_group"),
            models.Index(fields=["project", "name"], name="fleet_device_name"),
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.device_uuid}"

    @property
    def tags(self) -> list[str]:
        return [t for t in self.tags_text.split("|") if t]

    def as_api_device(self) -> dict:
        """The shape `engine/cohorts.py::device_matches` reads (devices_details' own)."""
        return {
            "project": self.project,
            "device_uuid": self.device_uuid,
            "group": self.group,
            "tags": self.tags,
        }


class FleetRead(models.Model):
    """A project's inventory read: when the last whole pass finished, and where the pass under
    way stopped when the API budget ran out (`cursor`)."""

    project = models.CharField(max_length=120, unique=True)
    # {"phase": "details" | "states", "offset": int | uuid, "seen": [uuid, ...]}; {} = none.
    cursor = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The project does not exist in Upswift (the read was refused with this message).
    error = models.TextField(blank=True)
    devices = models.PositiveIntegerField(default=0)
    # The last whole pass: API calls it took, rows it wrote, seconds it ran (summed over ticks).
    last_calls = models.PositiveIntegerField(default=0)
    last_written = models.PositiveIntegerField(default=0)
    last_seconds = models.FloatField(default=0.0)
    # Counters of the pass under way.
    calls = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"fleet read of {self.project}"
