"""The fleet page (search, filters, counts by group and tag, pages), a device's page, and
"Refresh now"; both pages run the same number of queries at two data sizes."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rollouts.models import FleetDevice, FleetRead
from tests.factories import DeviceProgressFactory
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.django_db

_n = itertools.count()


def devices(n: int, *, project="Demo", group="Lab", tags="|canary|", online=True, **fields):
    FleetDevice.objects.bulk_create(
        FleetDevice(
            project=project,
            device_uuid=f"d-{next(_n):04x}-0000",
            name=f"dev-{group.lower()}-{next(_n)}",
            group=group,
            tags_text=tags,
            online=online,
            **fields,
        )
        for _ in range(n)
    )


def queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # a first request may also save the session: not the page's own queries
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries), response.content.decode()


def test_counts_by_group_and_tag_and_the_filters(client, viewer):
    devices(3, group="Lab", tags="|canary|beta|")
    devices(2, group="EU-West", tags="", online=False, app_version="5.1")
    devices(1, project="Kiosks", group="Lab")
    client.force_login(viewer)

    _, html = queries(client, reverse("fleet_list") + "?project=Demo")
    assert '<span id="fleet-total">5</span>' in html and "3 online" in html
    assert "Lab 3" in html and "EU-West 2" in html
    assert "canary 3" in html and "beta 3" in html

    _, html = queries(client, reverse("fleet_list") + "?tag=canary")
    assert '<span id="fleet-total">4</span>' in html  # Kiosks' Lab device has the tag too
    _, html = queries(client, reverse("fleet_list") + "?online=offline&app_version=5.1")
    assert '<span id="fleet-total">2</span>' in html
    _, html = queries(client, reverse("fleet_list") + "?project=Demo&group=EU-West&online=nope")
    assert '<span id="fleet-total">2</span>' in html  # an unknown state is ignored


def test_search_by_name_or_uuid(client, viewer):
    devices(2, group="Lab")
    target = FleetDevice.objects.order_by("id").first()
    client.force_login(viewer)

    _, html = queries(client, reverse("fleet_list") + f"?q={target.device_uuid[:8]}")
    assert '<span id="fleet-total">1</span>' in html and target.name in html
    _, html = queries(client, reverse("fleet_list") + "?q=DEV-LAB")
    assert '<span id="fleet-total">2</span>' in html


def test_the_fleet_page_costs_the_same_queries_at_two_sizes_and_pages(client, viewer):
    client.force_login(viewer)
    devices(5)
    small, _ = queries(client, reverse("fleet_list"))
    devices(300, group="US-East", tags="|a|b|c|")
    devices(200, project="Kiosks", online=None)
    large, html = queries(client, reverse("fleet_list") + "?page=2")
    assert small == large
    assert "page 2 of 11" in html


def test_the_device_page_shows_its_updates_and_the_rollouts_that_touched_it(client, viewer):
    updates = [
        {"update_id": 7, "status": "success", "version": "5.0", "comment": "old", "scheduled": ""},
        {
            "update_id": 9,
            "status": "failed",
            "version": "5.1",
            "comment": "[rollout 3",
            "scheduled": "",
        },
    ]
    devices(1, updates=updates)
    device = FleetDevice.objects.get()
    url = reverse("fleet_device", args=[device.project, device.device_uuid])
    client.force_login(viewer)
    small, html = queries(client, url)
    assert html.index("failed") < html.index("success")  # newest first
    assert "No rollout has read this device back" in html

    for _ in range(3):
        rollout = rollout_built(user=viewer, devices=0)
        DeviceProgressFactory(
            stage=rollout.stages.get(position=1), device_uuid=device.device_uuid, status="success"
        )
    large, html = queries(client, url)
    assert small == large
    assert html.count('href="/rollouts/') >= 3
    assert client.get(reverse("fleet_device", args=["Demo", "d-none"])).status_code == 404


def test_refresh_now_is_for_people_who_operate_rollouts(client, viewer, release_manager):
    FleetRead.objects.create(project="Demo")
    client.force_login(viewer)
    assert client.post(reverse("fleet_refresh")).status_code == 403
    assert 'id="fleet-refresh"' not in client.get(reverse("fleet_list")).content.decode()

    client.force_login(release_manager)
    response = client.post(reverse("fleet_refresh"))
    assert response.status_code == 302
    assert FleetRead.objects.get(project="Demo").refresh_requested_at is not None


def test_the_rollout_device_table_tells_offline_from_queued(client, viewer):
    rollout = rollout_built(user=viewer, devices=0)
    stage = rollout.stages.get(position=1)
    DeviceProgressFactory(stage=stage, device_uuid="d-0ff1-0000", status="pending")
    DeviceProgressFactory(stage=stage, device_uuid="d-0a1e-0000", status="pending")
    FleetDevice.objects.create(
        project=rollout.project, device_uuid="d-0ff1-0000", online=False, last_keepalive="T-1h"
    )
    FleetDevice.objects.create(project=rollout.project, device_uuid="d-0a1e-0000", online=True)
    client.force_login(viewer)

    html = client.get(reverse("stage_devices", args=[rollout.pk, 1])).content.decode()

    offline = html[html.index("d-0ff1-0000") :]
    online = html[html.index("d-0a1e-0000") :]
    assert offline.index("pending, device offline") < offline.index("</tr>")
    assert "last seen T-1h" in offline[: offline.index("</tr>")]
    assert online.index("pending, queued") < online.index("</tr>")


def test_the_plan_editor_offers_the_inventorys_names(client, release_manager):
    FleetRead.objects.create(project="Demo", completed_at="2026-01-01T00:00:00Z")
    devices(2, group="TestGroup1", tags="|canary|")
    client.force_login(release_manager)

    html = client.get(reverse("plan_create")).content.decode()

    assert 'list="fleet-projects"' in html and 'list="fleet-groups"' in html
    assert '<datalist id="fleet-projects"><option value="Demo">' in html
    assert '<option value="TestGroup1">' in html[html.index('id="fleet-groups"') :]
    assert '<option value="canary">' in html[html.index('id="fleet-tags"') :]


def test_a_saved_plans_editor_shows_each_stages_devices_now(client, release_manager):
    from django.utils import timezone

    from rollouts.services.plans import plan_create

    FleetRead.objects.create(project="Demo", completed_at=timezone.now())
    devices(3, group="Lab", tags="|canary|")
    devices(4, group="EU-West", tags="", online=False)
    plan = plan_create(
        name="Counted",
        project="Demo",
        stages=[{"target": "tag", "tag": "canary"}, {"target": "all"}],
    )
    client.force_login(release_manager)

    html = client.get(reverse("plan_edit", args=[plan.pk])).content.decode()

    first = html[html.index('id="plan-count-1"') : html.index('id="plan-count-2"')]
    second = html[html.index('id="plan-count-2"') :]
    assert 'data-devices="3" data-online="3" data-offline="0"' in first
    assert 'data-devices="4" data-online="0" data-offline="4"' in second
    assert 'data-total="7"' in html
