"""`make run`'s own setup, for real: a SQLite file shared by a web server, a Celery worker and
beat (kombu's filesystem broker, a file cache), two rollouts driven through the REST API
against the simulator to completion. WAL, the busy timeout and IMMEDIATE transactions keep
every process calm: no "database is locked" in any log, no "Engine error" in any timeline.

A second test holds the database's write lock longer than the busy timeout while rollouts
run: the worker meets "database is locked", steps again shortly, and records no engine error.

Nothing here uses the suite's PostgreSQL: the processes migrate and fill their own file.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager

import pytest
import requests

from tests.process.helpers import rollout_updates_per_device
from tests.support.engine import FAST_ENGINE
from tests.support.processes import (
    BASE_DIR,
    _spawn,
    celery_beat,
    celery_worker,
    free_port,
    wait_for,
)
from upswift_simulator.testing import running_simulator

pytestmark = pytest.mark.integration

LOCKED = "database is locked"
# A group, approved by the person who starts it, then the rest of the project. Each rollout
# has a project of its own: two rollouts on the same devices would wait for each other.
STAGES = [
    {"target": "groups", "groups": ["Lab"], "success_threshold": 100},
    {"target": "all", "success_threshold": 100, "approval_required": False},
]
PROJECTS = ("Demo", "Greenhouse")


def laptop_env(tmp_path, sim, **overrides) -> dict:
    """What `make run` gives its processes, in a directory of this test's."""
    queue = f"test-sqlite-{uuid.uuid4().hex[:8]}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")
    }
    env.update(
        {
            **FAST_ENGINE,
            "ENV_FILE": os.devnull,
            "DEBUG": "true",
            "SECRET_KEY": "test-" + uuid.uuid4().hex,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
            "CELERY_BROKER_DIR": str(tmp_path / "broker"),
            "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_NOTIFY_QUEUE": queue,
            "UPSWIFT_API_URL": sim.base_url,
            "UPSWIFT_USER_TOKEN": sim.token,
            "PYTHONUNBUFFERED": "1",
            **overrides,
        }
    )
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def laptop(tmp_path, **overrides):
    """Simulator, migrated database, an API token, then web + worker + beat."""
    with ExitStack() as stack:
        sim = stack.enter_context(
            running_simulator(devices=80, speedup=600, offline_share=0.0, failure_rate=0.0)
        )
        env = laptop_env(tmp_path, sim, **overrides)
        manage(env, "migrate", "--noinput")
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_superuser('laptop', 'l@example.com', 'pw-1234567')",
        )
        token = manage(env, "create_api_token", "laptop").strip()
        port = free_port()
        web = _spawn(
            "web",
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env,
            tmp_path,
        )
        stack.callback(web.stop)
        worker = stack.enter_context(celery_worker(env=env, log_dir=tmp_path))
        beat = stack.enter_context(celery_beat(env=env, log_dir=tmp_path))
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        base = f"http://127.0.0.1:{port}/api/v1"

        def up():
            try:
                return api.get(f"{base}/plans", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=60, describe=web.log)
        yield {
            "api": api,
            "base": base,
            "db": tmp_path / "console.sqlite3",
            "sim": sim,
            "processes": {"web": web, "worker": worker, "beat": beat},
        }


def start_rollouts(lap, count: int) -> list[int]:
    api, base = lap["api"], lap["base"]
    ids = []
    for n, project in enumerate(PROJECTS[:count]):
        plan = api.post(
            f"{base}/plans",
            json={"name": f"Laptop {project}", "project": project, "stages": STAGES},
            timeout=30,
        )
        assert plan.status_code == 201, plan.text
        rollout = api.post(
            f"{base}/rollouts",
            json={
                "plan": plan.json()["id"],
                "flow_id": "73a7-1ft8",
                "app_name": "default_app",
                "app_version": f"v2.{n}",
                "comment": f"laptop {n}",
                "start": True,
            },
            timeout=30,
        )
        assert rollout.status_code == 201, rollout.text
        ids.append(rollout.json()["id"])
    return ids


def wait_completed(lap, ids: list[int], timeout: float = 150) -> None:
    api, base = lap["api"], lap["base"]

    def rollouts():
        return [api.get(f"{base}/rollouts/{pk}", timeout=30).json() for pk in ids]

    def statuses():
        return [rollout["status"] for rollout in rollouts()]

    def describe():
        logs = "\n".join(f"--- {n}\n{p.log()[-3000:]}" for n, p in lap["processes"].items())
        states = [(r["status"], r["status_reason"], r["waiting"]) for r in rollouts()]
        return f"{states}\n{logs}"

    done = lambda: set(statuses()) == {"completed"}  # noqa: E731
    wait_for(done, timeout=timeout, interval=1, describe=describe)


def event_kinds(lap, pk: int) -> list[str]:
    answer = lap["api"].get(f"{lap['base']}/rollouts/{pk}/events?page_size=200", timeout=30)
    return [event["kind"] for event in answer.json()["results"]]


def test_web_worker_and_beat_share_the_sqlite_file_calmly(tmp_path):
    with laptop(tmp_path) as lap:
        ids = start_rollouts(lap, 2)
        wait_completed(lap, ids)
        assert_each_device_updated_once(lap, ids)
        kinds = {pk: event_kinds(lap, pk) for pk in ids}
        journal = sqlite3.connect(lap["db"]).execute("PRAGMA journal_mode").fetchone()[0]
        logs = {name: process.log() for name, process in lap["processes"].items()}

    assert journal == "wal"
    for pk in ids:
        assert "completed" in kinds[pk] and "engine_error" not in kinds[pk], kinds[pk]
    assert "succeeded" in logs["worker"]  # the worker's log is the one that ran the steps
    for name, log in logs.items():
        assert LOCKED not in log, f"{name}:\n{log[-3000:]}"


def test_a_lock_held_past_the_busy_timeout_is_retried_not_an_engine_error(tmp_path):
    with laptop(tmp_path, SQLITE_BUSY_TIMEOUT_SECONDS="0.5") as lap:
        ids = start_rollouts(lap, 1)
        stop = threading.Event()

        def hog():
            """Another program holding the write lock for 1.5 s, again and again."""
            db = sqlite3.connect(lap["db"], timeout=30, isolation_level=None)
            while not stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                time.sleep(1.5)
                db.execute("COMMIT")
                time.sleep(0.3)
            db.close()

        thread = threading.Thread(target=hog, daemon=True)
        thread.start()
        worker = lap["processes"]["worker"]
        try:
            wait_for(lambda: "stepping again" in worker.log(), timeout=60, describe=worker.log)
        finally:
            stop.set()
            thread.join(timeout=10)
        wait_completed(lap, ids)
        assert_each_device_updated_once(lap, ids)
        kinds = event_kinds(lap, ids[0])
        log = worker.log()

    assert LOCKED in log and "stepping again" in log
    assert "completed" in kinds and "engine_error" not in kinds, kinds


def assert_each_device_updated_once(lap, ids: list[int]) -> None:
    """From the simulator's fleet: every device of each rollout's project got its update once
    (a retried step after a lock never sends a second deploy)."""
    for pk, project in zip(ids, PROJECTS, strict=False):
        per_device = rollout_updates_per_device(lap["sim"], pk, project=project)
        assert per_device and set(per_device.values()) == {1}, (project, per_device)
