import contextlib
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.support import processes


@pytest.fixture(scope="session", autouse=True)
def _test_queue():
    """Tasks a test enqueues without a worker go to a queue of this session, never the real one,
    and that queue is deleted at the end."""
    from upswift_console.celery import app

    queue = f"test-session-{uuid.uuid4().hex[:10]}"
    app.conf.task_default_queue = queue
    yield queue
    with contextlib.suppress(Exception), app.connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)


@pytest.fixture
def worker_env(transactional_db, tmp_path):
    """Environment for processes that must see this test's database, on a queue of its own.

    Tests that start workers commit their rows (transactional_db) so the worker can read them.
    """
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = processes.process_env(
        db_url=processes.database_url(connection.settings_dict),
        queue=queue,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        env["CELERY_BROKER_DIR"] = str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    return env


from tests.support.browser import browser, open_page  # noqa: E402,F401  (fixtures)
from tests.support.engine import engine_factory  # noqa: E402,F401  (fixture)
from tests.support.fleet import fleet_sim  # noqa: E402,F401  (fixture)
from tests.support.roles import (  # noqa: E402,F401  (fixtures)
    console_admin,
    console_test_settings,
    other_manager,
    outsider,
    release_manager,
    viewer,
)


@pytest.fixture(autouse=True)
def _console_settings(settings):
    """Pages resolve {% static %} without a collectstatic manifest; cheap password hashes."""
    console_test_settings(settings)
