"""Bad input, hostile strings, CSRF, secrets and sign-in throttling (see helpers.py)."""

import pytest

from tests.support.roles import (  # noqa: F401  (fixtures)
    console_admin,
    console_test_settings,
    other_manager,
    outsider,
    release_manager,
    viewer,
)


@pytest.fixture(autouse=True)
def _console_settings(settings):
    console_test_settings(settings)


@pytest.fixture
def manager_client(client, release_manager):  # noqa: F811  (the fixture imported above)
    """A test client signed in as a release manager, once for all of a test's examples."""
    client.force_login(release_manager)
    return client
