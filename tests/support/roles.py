"""Role fixtures: viewer, release manager, admin, and an outsider with no role.

Roles are the groups of rollouts/roles.py. `roles_sync()` makes them exist again in
transactional tests, whose flush removes what the data migration created."""

import pytest
from django.contrib.auth.models import Group

from rollouts.roles import RELEASE_MANAGER, VIEWER, roles_sync
from tests.factories import UserFactory

PASSWORD = "a-long-password-1"


def user_with_role(username: str, role: str | None = None, **fields):
    user = UserFactory(username=username, **fields)
    if role:
        if not Group.objects.filter(name=role).exists():
            roles_sync()
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(db):
    return user_with_role("vera", VIEWER)


@pytest.fixture
def release_manager(db):
    return user_with_role("rita", RELEASE_MANAGER)


@pytest.fixture
def other_manager(db):
    return user_with_role("otto", RELEASE_MANAGER)


@pytest.fixture
def console_admin(db):
    return user_with_role("ada", None, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    return user_with_role("oscar", None)


def console_test_settings(settings) -> None:
    """For page tests: {% static %} resolves without a collectstatic manifest (DEBUG may be
    off, which selects the manifest storage), and users, made by the dozen, get cheap
    password hashes."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # In-process tests count soak and deadline minutes as real minutes, whatever a laptop's
    # .env says (`make run` writes 5-second demo minutes); the engine's process tests set it.
    settings.ROLLOUT_SOAK_MINUTE_SECONDS = 60.0
    # The suite sends thousands of API requests a minute, all from 127.0.0.1: the API's rate
    # limits stay on, but generous (tests/api/test_throttles.py sets small ones).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "20000/minute", "address": "20000/minute"},
    }
