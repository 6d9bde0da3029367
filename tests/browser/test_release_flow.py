"""The whole story in a browser: a release manager plans, starts, watches live, approves,
and finds the finished rollout in the history (real server, worker, beat and simulator)."""

import re

import pytest
from playwright.sync_api import expect

from rollouts.models import Plan, Rollout, RolloutStatus
from tests.support.browser import sign_in

pytestmark = pytest.mark.integration

LIVE = 90_000  # ms to wait for the engine to move a stage


def add_stage(page, *, name: str, target: str, groups: str = "") -> None:
    page.get_by_role("button", name="+ Add stage").click()
    stage = page.locator("[data-stage]:not(.removed)").last
    stage.get_by_label("Stage name").fill(name)
    stage.get_by_label("Target").select_option(target)
    if groups:
        stage.get_by_label("Groups").fill(groups)
    stage.get_by_label("Success threshold %").fill("100")


def watch_live_swaps(page) -> None:
    """Record every stage status an htmx poll swaps in, and mark this document."""
    page.evaluate(
        """() => {
          window.__sameDocument = true;
          window.__seen = [];
          document.body.addEventListener("htmx:oobAfterSwap", () => {
            document.querySelectorAll("#stages [data-status]").forEach(
              (card) => window.__seen.push(card.id + ":" + card.dataset.status));
          });
        }"""
    )


def approve_next(page, position: int, comment: str) -> None:
    page.get_by_text("Approve next stage").click()
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name=f"Confirm: approve stage {position}").click()
    expect(page.locator(".messages")).to_contain_text(f"Stage {position} (")


def test_a_release_manager_runs_a_three_stage_rollout(engine_factory, open_page, release_manager):
    with engine_factory(devices=200):
        page = open_page()
        sign_in(page, release_manager)

        # A three-stage plan, made in the stage editor.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
        page.get_by_role("link", name="New plan").click()
        page.get_by_label("Name", exact=True).fill("Three-stage release")
        page.get_by_label("Upswift project").fill("Demo")
        canary = page.locator("[data-stage]").first
        canary.get_by_label("Success threshold %").fill("100")
        add_stage(page, name="Test group", target="groups", groups="TestGroup1")
        add_stage(page, name="Everyone", target="all")
        page.get_by_role("button", name="Create plan").click()
        expect(page.locator(".messages")).to_contain_text(
            "Plan “Three-stage release” created with 3 stages."
        )
        plan = Plan.objects.get(name="Three-stage release")
        assert [s.target for s in plan.stages.order_by("position")] == ["tag", "groups", "all"]

        # A rollout of it, after a look at what each stage will target.
        page.locator(f"#plan-{plan.pk}").get_by_role("link", name="Start a rollout").click()
        page.get_by_label("Update flow id").fill("73a7-1ft8")
        page.get_by_label("App name").fill("default_app")
        page.get_by_label("App version").fill("v2.0")
        page.get_by_label("Comment").fill("release 2 from the browser")
        expect(page.locator("#preview-stage-1")).to_contain_text("tag is canary")
        expect(page.locator("#preview-stage-2")).to_contain_text("TestGroup1")
        expect(page.locator("#preview-stage-3")).to_contain_text("except TestGroup1")
        page.get_by_role("button", name="Start rollout").click()
        expect(page.locator(".messages")).to_contain_text("started: stage 1 is approved.")
        rollout = Rollout.objects.get(plan=plan)
        assert page.url.endswith(f"/rollouts/{rollout.pk}/")

        # The canary stage reaches its threshold while the page stays put.
        watch_live_swaps(page)
        expect(page.locator("#stage-1")).to_have_attribute("data-status", "succeeded", timeout=LIVE)
        expect(page.locator("#stage-1 .stage-done")).to_have_text("100%")
        expect(page.get_by_text("Approve next stage")).to_be_visible(timeout=LIVE)
        assert page.evaluate("window.__sameDocument") is True
        assert "stage-1:succeeded" in page.evaluate("window.__seen")

        approve_next(page, 2, "canary looks good")
        watch_live_swaps(page)
        expect(page.locator("#stage-2")).to_have_attribute("data-status", "succeeded", timeout=LIVE)
        approve_next(page, 3, "test group fine")
        watch_live_swaps(page)
        expect(page.locator("#rollout-status [data-status]")).to_have_attribute(
            "data-status", "completed", timeout=LIVE
        )
        assert page.evaluate("window.__sameDocument") is True
        expect(page.locator("#banner")).to_contain_text("Completed")
        expect(page.locator("#poller")).to_have_attribute("data-active", "false")

        # ... and it is in the history.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
        row = page.locator(f"#rollout-{rollout.pk}")
        expect(row).to_contain_text("Completed")
        expect(row).to_contain_text("3 / 3")

    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.COMPLETED
    approvals = rollout.events.filter(kind="stage_approved").order_by("id")
    assert [(e.actor.username, e.reason) for e in approvals] == [
        ("rita", "canary looks good"),
        ("rita", "test group fine"),
    ]
    assert re.fullmatch(r"\d+", str(rollout.pk))
