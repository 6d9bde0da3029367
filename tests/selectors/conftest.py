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
