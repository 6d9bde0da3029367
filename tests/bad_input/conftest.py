"""Bad input, hostile strings, CSRF, secrets and sign-in throttling (see helpers.py)."""

import pytest


@pytest.fixture
def manager_client(client, release_manager):
    """A test client signed in as a release manager, once for all of a test's examples."""
    client.force_login(release_manager)
    return client
