"""Each page runs the same number of SQL queries whatever the amount of data.

Every test measures its page on a small world, grows the world (more plans, rollouts,
people, devices, events and calls, on the shown rollout too), and measures again."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rollouts.models import RolloutStatus, StageStatus
from rollouts.roles import RELEASE_MANAGER
from tests.factories import (
    ApiCallFactory,
    DeviceProgressFactory,
    EventFactory,
    WorkerHeartbeatFactory,
)
from tests.support.console_data import plan_three_stages, rollout_built
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db

AWAITING = (StageStatus.SUCCEEDED, StageStatus.PENDING, StageStatus.PENDING)
_names = itertools.count()


def grow(n: int) -> None:
    """n more of everything: plans, managers, rollouts in every state, workers."""
    for _ in range(n):
        manager = user_with_role(f"rm-{next(_names)}", RELEASE_MANAGER)
        plan = plan_three_stages()
        rollout_built(user=manager, plan=plan, devices=6)
        rollout_built(user=manager, plan=plan, stage_statuses=AWAITING, second_stage_approved=False)
        paused = rollout_built(user=manager, plan=plan, status=RolloutStatus.PAUSED)
        EventFactory(rollout=paused, kind="paused", reason="threshold", to_status="paused")
        rollout_built(user=manager, status=RolloutStatus.COMPLETED)
        WorkerHeartbeatFactory()


def enlarge(rollout, n: int) -> None:
    """More devices, events and calls on the rollout the page shows."""
    stage = rollout.stages.get(position=2)
    DeviceProgressFactory.create_batch(n * 10, stage=stage, status="failed")
    EventFactory.create_batch(
        n * 10, rollout=rollout, stage=stage, kind="sweep", actor=rollout.created_by
    )
    ApiCallFactory.create_batch(n * 10, rollout=rollout, stage=stage, kind="poll", pages=3)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured.captured_queries)


# Every full page (one that extends base.html) runs one more query than its own: the exists()
# of rollouts/context_processors.py's banner for a rejected Upswift token (the "+ 1"s below).
# Fragments (the preview, the live poll) and the CSV never ask for it.
BANNER = 1
# Signed-in pages ask who the person is: the session, the user, and the permissions of the
# person and of their roles (approve and operate are separate permissions, read once a request).
# Those four are in every budget below.
# The preview's device counts and names check (rollouts/selectors/fleet.py): the stages, the
# inventory's devices, its freshness and the names check's read; the device table's fleet state.
FLEET_PREVIEW = 4
FLEET_STATE = 1
# The rollout page's cheap change stamp (rollouts/selectors/stamp.py), which lets a poll that finds
# it unchanged skip building the page.
STAMP = 1
FLEET_PICKERS = 3  # the plan editor's project, group and tag names
PLAN_VERSIONS = 1  # the plan page's edit history (who changed what, when)
# The stages' passes (rollouts/selectors/passes.py: each deploy's and retry's own numbers).
PASSES = 1
# The history's audit record (rollouts/selectors/audit.py): stages, their passes, approvals.
RECORD = 3
# The dashboard's recently finished rollouts, with their outcome (one query).
FINISHED = 1
FLEET_COUNTS = 3  # a saved plan's device counts now: its stages, the devices, the freshness
PAGES = {
    # page: (url of the shown rollout `r`, most queries allowed)
    "dashboard": (lambda r: reverse("dashboard"), 12 + FINISHED + BANNER),
    "plan_list": (lambda r: reverse("plan_list"), 6 + BANNER),
    "plan_edit": (
        lambda r: reverse("plan_edit", args=[r.plan_id]),
        6 + FLEET_PICKERS + FLEET_COUNTS + PLAN_VERSIONS + BANNER,
    ),
    "plan_clone": (lambda r: reverse("plan_clone", args=[r.plan_id]), 6 + FLEET_PICKERS + BANNER),
    "rollout_new": (
        lambda r: reverse("rollout_new") + f"?plan={r.plan_id}",
        8 + FLEET_PREVIEW + BANNER,
    ),
    "rollout_preview": (
        lambda r: reverse("rollout_preview") + f"?plan={r.plan_id}",
        6 + FLEET_PREVIEW,
    ),
    "rollout_detail": (
        lambda r: reverse("rollout_detail", args=[r.pk]),
        9 + STAMP + PASSES + BANNER,
    ),
    "rollout_live": (lambda r: reverse("rollout_live", args=[r.pk]), 9 + STAMP + PASSES),
    "stage_devices": (
        lambda r: reverse("stage_devices", args=[r.pk, 2]) + "?page=2",
        9 + FLEET_STATE + BANNER,
    ),
    "rollout_calls": (lambda r: reverse("rollout_calls", args=[r.pk]) + "?page=2", 7 + BANNER),
    "history": (lambda r: reverse("history") + "?status=running&page=1", 8 + RECORD + BANNER),
    "history_csv": (lambda r: reverse("history_csv"), 5 + RECORD),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_the_data(
    page, client, release_manager, django_assert_max_num_queries
):
    url_of, most = PAGES[page]
    shown = rollout_built(user=release_manager, devices=30)
    grow(1)
    client.force_login(release_manager)
    url = url_of(shown)
    client.get(url)  # the first request after signing in stamps the session (one write, once)

    with django_assert_max_num_queries(most):
        small = queries(client, url)
    grow(5)
    enlarge(shown, 5)
    with django_assert_max_num_queries(most):
        large = queries(client, url)

    assert small == large, f"{page}: {small} queries with a small world, {large} with a large"
