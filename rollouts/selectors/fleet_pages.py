"""The fleet page (search, filters, pages, counts by group and tag) and a device's page (its
update history and the rollouts that touched it). A fixed number of queries whatever the
fleet's size: counts are grouped in the database, rows come a page at a time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from rollouts.models import DeviceProgress, FleetDevice

PAGE_SIZE = 50
ONLINE_CHOICES = {"online": True, "offline": False}


@dataclass(frozen=True)
class FleetFilters:
    q: str = ""
    project: str = ""
    group: str = ""
    tag: str = ""
    online: str = ""  # "", "online", "offline"
    app_version: str = ""

    @classmethod
    def of(cls, params) -> FleetFilters:
        """From query parameters; anything unknown or too long is ignored, never an error."""
        values = {k: str(params.get(k, "") or "").strip()[:200] for k in cls.__dataclass_fields__}
        if values["online"] not in ONLINE_CHOICES:
            values["online"] = ""
        values["tag"] = values["tag"].replace("|", "")
        return cls(**values)


def fleet_devices(filters: FleetFilters) -> QuerySet[FleetDevice]:
    rows = FleetDevice.objects.all()
    if filters.project:
        rows = rows.filter(project=filters.project)
    if filters.group:
        rows = rows.filter(group=filters.group)
    if filters.tag:
        rows = rows.filter(tags_text__contains=f"|{filters.tag}|")
    if filters.online:
        rows = rows.filter(online=ONLINE_CHOICES[filters.online])
    if filters.app_version:
        rows = rows.filter(app_version=filters.app_version)
    if filters.q:
        rows = rows.filter(Q(name__icontains=filters.q) | Q(device_uuid__icontains=filters.q))
    return rows


@dataclass
class FleetPage:
    filters: FleetFilters
    devices: Page
    total: int
    online: int
    by_group: list[tuple[str, int]] = field(default_factory=list)
    by_tag: list[tuple[str, int]] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    app_versions: list[str] = field(default_factory=list)


def fleet_page(filters: FleetFilters, *, page: int | str = 1) -> FleetPage:
    """Seven queries: projects, versions, group counts, tag counts, online count, page count
    and the page's rows."""
    rows = fleet_devices(filters)
    by_group = [
        (r["group"], r["n"])
        for r in rows.order_by().values("group").annotate(n=Count("id")).order_by("group")
    ]
    tags: Counter[str] = Counter()
    for r in rows.order_by().values("tags_text").annotate(n=Count("id")):
        for tag in r["tags_text"].split("|"):
            if tag:
                tags[tag] += r["n"]
    paginator = Paginator(
        rows.order_by("project", "name", "device_uuid").only(
            "project",
            "device_uuid",
            "name",
            "group",
            "tags_text",
            "online",
            "last_keepalive",
            "app_version",
            "agent_version",
            "latest_update",
        ),
        PAGE_SIZE,
    )
    return FleetPage(
        filters=filters,
        devices=paginator.get_page(page),
        total=paginator.count,
        online=rows.filter(online=True).count(),
        by_group=by_group,
        by_tag=sorted(tags.items()),
        projects=list(
            FleetDevice.objects.order_by("project").values_list("project", flat=True).distinct()
        ),
        app_versions=list(
            FleetDevice.objects.exclude(app_version="")
            .order_by("app_version")
            .values_list("app_version", flat=True)
            .distinct()
        ),
    )


@dataclass
class DevicePage:
    device: FleetDevice
    updates: list[dict]  # newest first
    touched_by: list[DeviceProgress]  # this device's rows in rollouts' stages, newest first


def device_page(*, project: str, uuid: str) -> DevicePage | None:
    """Two queries: the device, and the rollout stages that read it back."""
    device = FleetDevice.objects.filter(project=project, device_uuid=uuid).first()
    if device is None:
        return None
    touched = list(
        DeviceProgress.objects.filter(device_uuid=uuid, stage__rollout__project=project)
        .select_related("stage__rollout__plan")
        .order_by("-stage__rollout_id", "-stage__position")[:100]
    )
    return DevicePage(device=device, updates=list(reversed(device.updates)), touched_by=touched)
