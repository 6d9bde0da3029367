"""The stage editor works from the keyboard, and errors show next to their field."""

import pytest
from playwright.sync_api import expect

from rollouts.models import Plan
from tests.support.browser import PHONE, sign_in
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.integration


def test_stages_are_added_reordered_and_removed_with_the_keyboard(open_page, release_manager):
    page = open_page()
    sign_in(page, release_manager)
    page.goto("/plans/new/")
    page.get_by_label("Name", exact=True).fill("Keyboard plan")
    page.get_by_label("Upswift project").fill("Demo")
    stages = page.locator("[data-stage]:not(.removed)")

    for name in ("Everyone", "Lab", "Scratch"):
        page.get_by_role("button", name="+ Add stage").focus()
        page.keyboard.press("Enter")
        page.keyboard.type(name)  # the new stage's name field has the focus
    stages.nth(1).get_by_label("Target").select_option("all")
    stages.nth(2).get_by_label("Target").select_option("groups")
    stages.nth(2).get_by_label("Groups").fill("Lab")
    stages.nth(3).get_by_role("button", name="Remove stage").focus()
    page.keyboard.press("Enter")
    stages.nth(2).get_by_role("button", name="Move stage up").focus()
    page.keyboard.press("Enter")  # Lab before Everyone
    stages.first.get_by_label("Tag", exact=True).fill("")

    expect(stages).to_have_count(3)
    expect(stages.nth(1).get_by_label("Stage name")).to_have_value("Lab")
    expect(stages.nth(2).locator("[data-field=tag]")).to_be_hidden()  # an `all` stage
    page.get_by_role("button", name="Create plan").click()

    tag = page.locator("[data-stage]").first.locator("[data-field=tag]")
    expect(tag).to_contain_text("A tag stage needs a tag (e.g. canary).")
    expect(tag.get_by_label("Tag", exact=True)).to_have_attribute("aria-invalid", "true")
    assert not Plan.objects.exists()

    page.locator("[data-stage]").first.get_by_label("Tag", exact=True).fill("canary")
    page.get_by_role("button", name="Create plan").click()
    expect(page.locator(".messages")).to_contain_text("created with 3 stages")
    plan = Plan.objects.get(name="Keyboard plan")
    assert [(s.name, s.target) for s in plan.stages.order_by("position")] == [
        ("Canary", "tag"),
        ("Lab", "groups"),
        ("Everyone", "all"),
    ]


@pytest.mark.parametrize("path", ["/", "/rollouts/{pk}/", "/history/", "/plans/", "/plans/new/"])
def test_pages_fit_a_phone(open_page, release_manager, path):
    rollout = rollout_built(user=release_manager, devices=8)
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, release_manager)

    page.goto(path.format(pk=rollout.pk))

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
