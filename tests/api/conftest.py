"""API clients that send a personal token of a user in a role (tests/support/roles.py), and
the plan and rollouts the API tests act on."""

import pytest
from rest_framework.test import APIClient

from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from rollouts.services.tokens import api_token_create

THREE_STAGES = [
    {"name": "canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {"name": "group 1", "target": "groups", "groups": ["TestGroup1"]},
    {"name": "everyone", "target": "all"},
]


@pytest.fixture
def manager(release_manager):
    """The API tests' name for tests/support/roles.py's release manager."""
    return release_manager


@pytest.fixture
def admin(console_admin):
    return console_admin


def client_for(user) -> APIClient:
    """An API client that sends a fresh personal token of `user`."""
    _, raw = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.raw_token = raw
    return client


@pytest.fixture
def api_as():
    return client_for


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def plan(manager):
    return plan_create(name="Release plan", project="Demo", stages=THREE_STAGES, actor=manager)


@pytest.fixture
def draft(plan, manager):
    return rollout_create(
        plan=plan,
        flow_id="73a7-1ft8",
        app_name="default_app",
        app_version="v2.0",
        comment="release 2",
        actor=manager,
    )


@pytest.fixture
def running(draft, manager):
    """Started: stage 1 approved by the starter (the engine would now deploy it). Under the
    `db` fixture nothing is committed, so no task is ever enqueued."""
    return rollout_start(rollout=draft, actor=manager)
