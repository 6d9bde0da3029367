"""Users in each role, each with a personal API token, and clients that send it."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from rollouts.roles import RELEASE_MANAGER, VIEWER, roles_sync
from rollouts.services.actions import rollout_create, rollout_start
from rollouts.services.plans import plan_create
from rollouts.services.tokens import api_token_create
from tests.factories import UserFactory

THREE_STAGES = [
    {"name": "canary", "target": "tag", "tag": "canary", "success_threshold": 100},
    {"name": "group 1", "target": "groups", "groups": ["TestGroup1"]},
    {"name": "everyone", "target": "all"},
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These tests never check a password; PBKDF2 costs ~1 s per user on this machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roles(db):
    """The role groups (a transactional test elsewhere may have flushed the migration's)."""
    roles_sync()
    return {name: Group.objects.get(name=name) for name in (VIEWER, RELEASE_MANAGER)}


@pytest.fixture
def viewer(roles):
    user = UserFactory(username="vera-viewer")
    user.groups.add(roles[VIEWER])
    return user


@pytest.fixture
def manager(roles):
    user = UserFactory(username="rita-manager")
    user.groups.add(roles[RELEASE_MANAGER])
    return user


@pytest.fixture
def other_manager(roles):
    user = UserFactory(username="otto-manager")
    user.groups.add(roles[RELEASE_MANAGER])
    return user


@pytest.fixture
def admin(db):
    return UserFactory(username="ada-admin", is_superuser=True, is_staff=True)


@pytest.fixture
def outsider(db):
    return UserFactory(username="olaf-outsider")


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
