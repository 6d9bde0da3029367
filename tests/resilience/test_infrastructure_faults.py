"""The console's own parts failing mid-rollout: Redis restarted, PostgreSQL connections
dropped, two workers and two beats at once. Each ends completed, with no duplicate deploy."""

import time

import psycopg
import pytest
from django.db import OperationalError, connection
from kombu import Connection

from rollouts.models import Event, EventKind, RolloutStatus
from rollouts.services import actions
from rollouts.tasks import rollout_advance_task
from tests.factories import UserFactory
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    describe_rollout,
    rollout_updates_per_device,
    start_rollout,
    wait_status,
)
from tests.support.processes import celery_beat, redis_server, wait_for

pytestmark = pytest.mark.integration

AUTO_STAGES = [{**s, "approval_required": False} for s in CANARY_GROUPS_ALL]


def assert_no_duplicates(engine, rollout) -> None:
    per_device = rollout_updates_per_device(engine.sim, rollout)
    deploys = [c for c in deploy_calls(engine.sim) if c["status"] == 200]
    assert set(per_device.values()) == {1}  # every Demo device reached exactly once
    assert len(deploys) == len(AUTO_STAGES)


def test_redis_restarted_mid_rollout(engine_factory, tmp_path, monkeypatch):
    manager = UserFactory(username="rm")
    with redis_server(log_dir=tmp_path) as redis:
        env = {
            "CELERY_BROKER_URL": f"{redis.extra['url']}/0",
            "CACHE_URL": f"{redis.extra['url']}/1",
        }

        def enqueue_via_private_redis(rollout_id: int) -> None:
            with Connection(env["CELERY_BROKER_URL"]) as conn:
                rollout_advance_task.apply_async((rollout_id,), connection=conn)

        monkeypatch.setattr(actions, "_enqueue_advance", enqueue_via_private_redis)
        with engine_factory(devices=200, env=env) as engine:
            rollout = start_rollout(user=manager, stages=AUTO_STAGES)
            wait_for(
                lambda: rollout.stages.filter(status="succeeded").exists(),
                timeout=60,
                describe=engine.logs,
            )
            port = redis.extra["port"]
            redis.kill()
            time.sleep(3)
            logs = engine.worker.log()
            with redis_server(log_dir=tmp_path, port=port):
                # A worker may exit when Redis vanishes under it (kombu raises while closing
                # the channel); in production compose restarts it, and so does this test.
                def completed() -> bool:
                    engine.supervise()
                    rollout.refresh_from_db()
                    return rollout.status == RolloutStatus.COMPLETED

                wait_for(completed, timeout=120, describe=lambda: describe_rollout(rollout, engine))
                assert_no_duplicates(engine, rollout)
                logs += engine.worker.log()

    assert "Connection to broker lost" in logs or "Cannot connect to redis" in logs


def test_postgres_connections_dropped_mid_rollout(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200, env={"CONN_MAX_AGE": "600"}) as engine:
        rollout = start_rollout(user=manager, stages=AUTO_STAGES)
        wait_for(
            lambda: rollout.stages.filter(status="monitoring").exists(),
            timeout=60,
            describe=engine.logs,
        )
        if connection.vendor != "postgresql":
            pytest.fail("this test needs PostgreSQL (DATABASE_URL); CI runs it there")
        for _ in range(3):  # drop every other session to this database, a few times
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            time.sleep(1.5)
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_no_duplicates(engine, rollout)

    # Connections dropped between tasks are replaced before use (CONN_HEALTH_CHECKS), so the
    # rollout records no failure; a drop in the middle of a step is shown (next test).


def test_a_connection_dropped_mid_step_is_recorded_and_the_step_reruns(transactional_db):
    manager = UserFactory(username="rm")
    rollout = start_rollout(user=manager, stages=AUTO_STAGES)
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (DATABASE_URL); CI runs it there")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with psycopg.connect(**_connect_kwargs(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])

    with pytest.raises(OperationalError):
        rollout_advance_task(rollout.pk)

    error = Event.objects.get(rollout=rollout, kind=EventKind.ENGINE_ERROR)
    assert "OperationalError" in error.reason
    assert "next reconcile" in error.details["retry"]


def _connect_kwargs() -> dict:
    s = connection.settings_dict
    return {
        "dbname": s["NAME"],
        "user": s["USER"],
        "password": s["PASSWORD"],
        "host": s["HOST"] or "127.0.0.1",
        "port": s["PORT"] or 5432,
    }


def test_two_workers_and_two_beats(engine_factory, tmp_path):
    manager = UserFactory(username="rm")
    with (
        engine_factory(devices=200, workers=2) as engine,
        celery_beat(env=engine.env, log_dir=tmp_path),
    ):
        rollout = start_rollout(user=manager, stages=AUTO_STAGES)
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_no_duplicates(engine, rollout)
