"""In Chromium: the fleet search, the preview's device counts on the new-rollout page, and the
plan editor's pickers fed by the fleet inventory."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rollouts.models import FleetDevice, FleetRead
from rollouts.services.plans import plan_create
from tests.support.browser import sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def inventory(db):
    FleetRead.objects.create(project="Demo", completed_at=timezone.now(), devices=7)
    rows = [
        ("d-0001-aaaa", "kiosk-lobby", "Lab", "|canary|", True),
        ("d-0002-aaaa", "kiosk-hall", "Lab", "", False),
        ("d-0003-aaaa", "gate-north", "TestGroup1", "|canary|", False),
        ("d-0004-aaaa", "gate-south", "TestGroup1", "", True),
        ("d-0005-aaaa", "gate-east", "TestGroup1", "", True),
        ("d-0006-aaaa", "shelf-1", "Production", "", True),
        ("d-0007-aaaa", "shelf-2", "Production", "", False),
    ]
    FleetDevice.objects.bulk_create(
        FleetDevice(project="Demo", device_uuid=u, name=n, group=g, tags_text=t, online=o)
        for u, n, g, t, o in rows
    )


def test_the_fleet_search_finds_by_name_and_by_uuid(open_page, viewer, inventory):
    page = open_page()
    sign_in(page, viewer)
    page.goto("/fleet/")
    expect(page.locator("#fleet-total")).to_have_text("7")
    expect(page.locator("#fleet-by-group")).to_contain_text("TestGroup1 3")

    page.get_by_label("Name or uuid").fill("gate")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#fleet-total")).to_have_text("3")
    expect(page.locator("#fleet-table tbody tr")).to_have_count(3)

    page.get_by_label("Name or uuid").fill("d-0006")
    page.get_by_label("State").select_option("online")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#fleet-table tbody tr")).to_have_count(1)
    page.get_by_role("link", name="shelf-1").click()
    expect(page.locator("h1")).to_have_text("shelf-1")


def test_the_preview_shows_each_stages_device_counts(open_page, release_manager, inventory):
    plan = plan_create(
        name="Counted",
        project="Demo",
        stages=[
            {"target": "tag", "tag": "canary"},
            {"target": "groups", "groups": ["TestGroup1"]},
            {"target": "all"},
        ],
    )
    page = open_page()
    sign_in(page, release_manager)
    page.goto("/rollouts/new/")
    page.get_by_label("Plan").select_option(str(plan.pk))

    counts = page.locator("#preview .stage-count")
    expect(counts).to_have_count(3)
    # canary: 2 (1 online); TestGroup1 without canary: 2 (both online); the rest: 3 (1 online)
    expect(counts.nth(0)).to_contain_text("2 devices now · 1 online · 1 offline")
    expect(counts.nth(1)).to_contain_text("2 devices now · 2 online · 0 offline")
    expect(counts.nth(2)).to_contain_text("3 devices now · 1 online · 2 offline")
    expect(page.locator("#preview .preview-total")).to_contain_text("7 devices in all")


def test_the_plan_editor_offers_the_inventorys_names(open_page, release_manager, inventory):
    page = open_page()
    sign_in(page, release_manager)
    page.goto("/plans/new/")

    project = page.get_by_label("Upswift project")
    expect(project).to_have_attribute("list", "fleet-projects")
    expect(page.locator("#fleet-projects option")).to_have_count(1)
    expect(page.locator("#fleet-groups option")).to_have_count(3)
    expect(page.locator("#fleet-tags option[value=canary]")).to_have_count(1)
    page.get_by_label("Name", exact=True).fill("Typo")
    project.fill("Demo")
    stage = page.locator("[data-stage]").first
    stage.get_by_label("Target").select_option("groups")
    stage.get_by_label("Groups").fill("TestGrup1")
    page.get_by_role("button", name="Create plan").click()
    expect(page.locator("[data-field=groups]").first).to_contain_text(
        "Unknown group 'TestGrup1' in project 'Demo'."
    )
