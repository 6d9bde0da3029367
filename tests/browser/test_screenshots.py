"""The screenshots in docs/screenshots/, taken from a real run (worker, beat, simulator).

Deselected unless asked for:
    .venv/bin/pytest -m screenshots tests/browser/test_screenshots.py
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rollouts.models import (
    ChannelKind,
    Event,
    FleetRead,
    Rollout,
    RolloutStage,
    RolloutStatus,
    StageStatus,
    WorkerHeartbeat,
)
from rollouts.models.notifications import SUBSCRIBABLE_KINDS
from rollouts.services.actions import rollout_create, rollout_start, stage_approve
from rollouts.services.notifications import channel_create
from rollouts.services.plans import plan_create
from rollouts.tasks import fleet_refresh
from tests.factories import EventFactory, RolloutFactory, RolloutStageFactory
from tests.process.helpers import wait_awaiting_approval, wait_status
from tests.support.browser import DESKTOP, PHONE, sign_in
from tests.support.processes import wait_for
from tests.support.roles import user_with_role

OUT = os.environ.get("UPSWIFT_SCREENSHOTS", "docs/screenshots")
# Not part of the suite (pyproject deselects the marker): it rewrites the committed pictures.
pytestmark = [pytest.mark.integration, pytest.mark.screenshots]

WEEKLY = [
    {"name": "Canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {
        "name": "Test fleet",
        "target": "groups",
        "groups": ["TestGroup1", "TestGroup2"],
        "success_threshold": 70,
        "failure_threshold": 50,
    },
    {"name": "Everyone", "target": "all", "success_threshold": 95},
]
HOTFIX = [
    {"name": "Canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {"name": "Lab", "target": "groups", "groups": ["Lab"], "approval_required": False},
    {"name": "Everyone", "target": "all"},
]
PAST = [
    ("completed", "v5.0.2", "Winter release", 21, "rita", ""),
    ("completed", "v5.0.3", "Sensor sync fix", 17, "otto", ""),
    ("aborted", "v5.0.4-rc1", "Release candidate", 12, "rita", "Wrong build uploaded"),
    (
        "failed",
        "v5.0.4",
        "Spring release",
        11,
        "otto",
        "Upswift rejected the deploy call: flow_id: no such update flow",
    ),
    ("completed", "v5.0.5", "Spring release, take two", 9, "rita", ""),
    ("completed", "v5.0.6", "Power-saving mode", 5, "otto", ""),
    ("completed", "v5.0.7", "Log rotation", 2, "rita", ""),
]


def seed_history(plan, people) -> None:
    for status, version, comment, days_ago, who, reason in PAST:
        started = timezone.now() - timedelta(days=days_ago, hours=3)
        rollout = RolloutFactory(
            plan=plan,
            app_name="sensor-agent",
            status=status,
            app_version=version,
            comment=comment,
            status_reason=reason,
            created_by=people[who],
            started_at=started,
            finished_at=started + timedelta(hours=2, minutes=days_ago * 3),
        )
        Rollout.objects.filter(pk=rollout.pk).update(created_at=started)
        done = {"completed": 3, "aborted": 1, "failed": 1}[status]
        for position in (1, 2, 3):
            RolloutStageFactory(
                rollout=rollout,
                position=position,
                status=StageStatus.SUCCEEDED if position <= done else StageStatus.PENDING,
            )
        event = EventFactory(rollout=rollout, kind=status, reason=reason, to_status=status)
        Event.objects.filter(pk=event.pk).update(created_at=rollout.finished_at)


def start(plan, user, version, comment, at=None):
    rollout = rollout_create(
        plan=plan,
        flow_id="73a7-1ft8",
        app_name="sensor-agent",
        app_version=version,
        comment=comment,
        actor=user,
    )
    return rollout_start(rollout=rollout, actor=user, at=at)


def shoot(page, name: str, *, full_page: bool = True) -> Path:
    out = Path(OUT)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path


def test_take_the_screenshots(engine_factory, open_page):
    rita = user_with_role("rita", "Release manager")
    otto = user_with_role("otto", "Release manager")
    user_with_role("vera", "Viewer")
    with engine_factory(devices=300) as engine:
        engine.sim.failure_rates(groups={"TestGroup2": 0.3, "Lab": 1.0}, tags={"canary": 0.0})
        weekly = plan_create(name="Weekly release", project="Demo", stages=WEEKLY, actor=rita)
        hotfix = plan_create(name="Hotfix", project="Demo", stages=HOTFIX, actor=otto)
        seed_history(weekly, {"rita": rita, "otto": otto})

        spring = start(weekly, rita, "v5.1.0", "Spring release: faster sensor sync")
        wait_awaiting_approval(spring, 2, engine=engine, timeout=120)
        engine.sim.fault("error_500", count=1)  # one API hiccup, retried
        stage_approve(rollout=spring, actor=otto, comment="Canary clean for an hour")
        wait_awaiting_approval(spring, 3, engine=engine, timeout=120)
        fix = start(hotfix, otto, "v5.0.8", "Hotfix: watchdog restart loop")
        wait_status(fix, RolloutStatus.PAUSED, engine=engine, timeout=120)
        start(
            weekly,
            rita,
            "v5.2.0-beta",
            "Beta for the test fleet",
            at=timezone.now() + timedelta(days=1),
        )
        assert RolloutStage.objects.get(rollout=spring, position=2).count_failed > 0
        wait_for(WorkerHeartbeat.objects.exists, timeout=90, describe=engine.logs)
        # The fleet inventory, read by the worker ("Refresh now"): the approve dialog counts
        # the next stage's devices from it.
        fleet_refresh.delay(project="Demo")
        wait_for(
            FleetRead.objects.filter(project="Demo", completed_at__isnull=False).exists,
            timeout=120,
            describe=engine.logs,
        )

        page = open_page(viewport=DESKTOP)
        sign_in(page, rita)
        expect(page.locator("#approvals")).to_contain_text("v5.1.0")
        shoot(page, "dashboard")
        page.goto(f"/rollouts/{spring.pk}/")
        expect(page.locator("#devices table")).to_be_visible()
        shoot(page, "rollout")
        page.get_by_text("Approve next stage").click()
        shoot(page, "rollout-approve", full_page=False)
        page.goto(f"/rollouts/{fix.pk}/")
        expect(page.locator("#banner")).to_contain_text("failure threshold")
        shoot(page, "rollout-paused", full_page=False)
        page.goto("/history/")
        shoot(page, "history")
        page.goto(f"/rollouts/new/?plan={weekly.pk}")
        shoot(page, "new-rollout")
        page.goto(f"/plans/{weekly.pk}/edit/")
        shoot(page, "plan-editor")

        # An admin's notification channels, with a delivery or two in their logs.
        admin = user_with_role("ada", is_superuser=True, is_staff=True)
        channel_create(
            kind=ChannelKind.WEBHOOK,
            name="Release bot",
            url="https://hooks.example.com/upswift",
            kinds=SUBSCRIBABLE_KINDS,
            actor=admin,
        )
        channel_create(
            kind=ChannelKind.EMAIL,
            name="Release managers",
            recipients="releases@example.com",
            kinds=["approval_needed", "paused", "deadline", "token_rejected"],
            actor=admin,
        )
        admin_page = open_page(viewport=DESKTOP)
        sign_in(admin_page, admin)
        admin_page.goto("/notifications/")
        shoot(admin_page, "notifications")

        phone = open_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        sign_in(phone, rita)
        shoot(phone, "dashboard-phone", full_page=False)
        phone.goto(f"/rollouts/{spring.pk}/")
        shoot(phone, "rollout-phone", full_page=False)


def test_take_the_fleet_screenshots(open_page, settings):
    """The fleet page, a device's page and the new-rollout preview with its device counts, from
    an inventory read from the simulator (in-process: no worker needed)."""
    from django.core.cache import cache

    from rollouts.engine.client import upswift_client
    from rollouts.engine.inventory import inventory_refresh
    from upswift_simulator.testing import running_simulator

    rita = user_with_role("rita", "Release manager")
    with running_simulator(devices=400, offline_share=0.15) as sim:
        settings.UPSWIFT_API_URL, settings.UPSWIFT_USER_TOKEN = sim.base_url, sim.token
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        upswift_client.cache_clear()
        cache.clear()
        assert inventory_refresh(project="Demo")
        weekly = plan_create(name="Weekly release", project="Demo", stages=WEEKLY, actor=rita)
        upswift_client.cache_clear()

    page = open_page(viewport=DESKTOP)
    sign_in(page, rita)
    page.goto("/fleet/?project=Demo")
    expect(page.locator("#fleet-table")).to_be_visible()
    shoot(page, "fleet")
    page.locator("#fleet-table tbody a").first.click()
    expect(page.locator("#device-updates, #device-state").first).to_be_visible()
    shoot(page, "fleet-device")
    page.goto(f"/rollouts/new/?plan={weekly.pk}")
    expect(page.locator("#preview .preview-total")).to_contain_text("devices in all")
    shoot(page, "preview-counts")
