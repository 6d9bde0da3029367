"""The engine for real: the simulator over HTTP, a Celery worker and beat, this test's DB.

The `engine_factory` fixture is registered in tests/conftest.py."""

import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pytest

from tests.support.processes import ManagedProcess, celery_beat, celery_worker
from upswift_console.celery import app as celery_app
from upswift_simulator.testing import SimulatorHandle, running_simulator

FAST_ENGINE = {
    "ROLLOUT_POLL_SECONDS": "0.5",
    "ROLLOUT_RECONCILE_SECONDS": "1",
    "ROLLOUT_RETRY_BASE_SECONDS": "0.3",
    "ROLLOUT_RETRY_MAX_SECONDS": "2",
    "ROLLOUT_SOAK_MINUTE_SECONDS": "1",
    "UPSWIFT_TIMEOUT_SECONDS": "3",
    "UPSWIFT_CALLS_PER_MINUTE": "0",
}


@dataclass
class Engine:
    sim: SimulatorHandle
    worker: ManagedProcess
    beat: ManagedProcess | None
    env: dict
    stack: ExitStack
    tmp_path: object

    def logs(self) -> str:
        parts = [f"--- worker\n{self.worker.log()[-6000:]}"]
        if self.beat:
            parts.append(f"--- beat\n{self.beat.log()[-2000:]}")
        parts.append(f"--- simulator\n{self.sim.output()[-2000:]}")
        return "\n".join(parts)

    def supervise(self) -> int:
        """What compose's `restart: unless-stopped` does: start again what exited. Returns how
        many processes were restarted."""
        restarted = 0
        if not self.worker.alive():
            self.restart_worker()
            restarted += 1
        if self.beat is not None and not self.beat.alive():
            self.beat = self.stack.enter_context(celery_beat(env=self.env, log_dir=self.tmp_path))
            restarted += 1
        return restarted

    def restart_worker(self) -> ManagedProcess:
        self.worker = self.stack.enter_context(celery_worker(env=self.env, log_dir=self.tmp_path))
        return self.worker


@pytest.fixture
def engine_factory(worker_env, tmp_path):
    """`with engine_factory(sim options..., env={...}) as engine:` starts the three processes."""
    session_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = worker_env["CELERY_TASK_DEFAULT_QUEUE"]

    @contextmanager
    def start(*, env: dict | None = None, beat: bool = True, workers: int = 1, **sim_options):
        sim_options.setdefault("speedup", 120)
        sim_options.setdefault("offline_share", 0.0)
        sim_options.setdefault("failure_rate", 0.0)
        with ExitStack() as stack:
            sim = stack.enter_context(running_simulator(**sim_options))
            full_env = {
                **worker_env,
                **FAST_ENGINE,
                "UPSWIFT_API_URL": sim.base_url,
                "UPSWIFT_USER_TOKEN": sim.token,
                "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
                **(env or {}),
            }
            worker = None
            for _ in range(workers):
                worker = stack.enter_context(celery_worker(env=full_env, log_dir=tmp_path))
            beat_process = (
                stack.enter_context(celery_beat(env=full_env, log_dir=tmp_path)) if beat else None
            )
            yield Engine(sim, worker, beat_process, full_env, stack, tmp_path)

    try:
        yield start
    finally:
        celery_app.conf.task_default_queue = session_queue
