"""A task goes from this process through a real broker to a real worker and back to the DB."""

import os
import uuid
from pathlib import Path

import pytest
from kombu import Connection

from rollouts.models import WorkerHeartbeat
from rollouts.tasks import worker_heartbeat
from tests.support.processes import celery_worker, wait_for

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _roundtrip(*, connection: Connection, env: dict, tmp_path: Path) -> WorkerHeartbeat:
    with celery_worker(env=env, log_dir=tmp_path, concurrency=1) as worker:
        worker_heartbeat.apply_async(connection=connection, queue=env["CELERY_TASK_DEFAULT_QUEUE"])
        hostname = worker.extra["hostname"].split("@")[0]
        return wait_for(
            lambda: WorkerHeartbeat.objects.filter(hostname__startswith=hostname).first(),
            timeout=60,
            describe=worker.log,
        )


def test_task_roundtrip_through_redis(worker_env, tmp_path):
    env = {**worker_env, "CELERY_BROKER_URL": REDIS_URL}
    assert not WorkerHeartbeat.objects.exists()

    with Connection(REDIS_URL) as connection:
        heartbeat = _roundtrip(connection=connection, env=env, tmp_path=tmp_path)

    assert heartbeat.last_seen is not None


def test_task_roundtrip_through_default_filesystem_broker(worker_env, tmp_path):
    broker_dir = tmp_path / f"broker-{uuid.uuid4().hex[:6]}"
    env = {**worker_env, "CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(broker_dir)}
    (broker_dir / "queue").mkdir(parents=True)
    options = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "control_folder": str(broker_dir / "control"),
    }
    assert not WorkerHeartbeat.objects.exists()

    with Connection("filesystem://", transport_options=options) as connection:
        heartbeat = _roundtrip(connection=connection, env=env, tmp_path=tmp_path)

    assert heartbeat.last_seen is not None
