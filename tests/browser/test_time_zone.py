"""The browser's own time zone is the default: Chromium set to Tokyo (or Berlin) runs
static/js/timezone.js, and the pages after it show times in that zone, named."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from rollouts.models import Rollout, RolloutStatus
from tests.support.browser import sign_in
from tests.support.console_data import rollout_built

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 14, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "text", "iso"),
    [
        ("Asia/Tokyo", "Dec 1, 2026 23:03 JST", "2026-12-01T23:03:05+09:00"),
        ("Europe/Berlin", "Dec 1, 2026 15:03 CET", "2026-12-01T15:03:05+01:00"),
    ],
)
def test_pages_follow_the_browser_time_zone_until_one_is_chosen(
    open_page, viewer, release_manager, zone, text, iso
):
    rollout = rollout_built(user=release_manager, status=RolloutStatus.COMPLETED)
    Rollout.objects.filter(pk=rollout.pk).update(created_at=AT)
    page = open_page(timezone_id=zone)

    sign_in(page, viewer)  # the sign-in page already ran the script
    page.goto("/history/")

    cookie = next(c for c in page.context.cookies() if c["name"] == "tz")
    assert cookie["value"] == zone
    when = page.locator(f"#rollout-{rollout.pk} time")
    expect(when).to_have_text(text)
    expect(when).to_have_attribute("datetime", iso)
    expect(when).to_have_attribute("title", f"{iso} {zone}")

    page.goto("/account/time-zone/")
    expect(page.locator("#zone-now")).to_contain_text(f"{zone} (your browser's)")
    page.get_by_label("Time zone", exact=True).select_option("America/New_York")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#zone-now")).to_contain_text("America/New_York (your choice)")
    page.goto("/history/")
    expect(page.locator(f"#rollout-{rollout.pk} time")).to_have_text("Dec 1, 2026 09:03 EST")
