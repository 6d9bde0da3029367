"""The engine for real: the simulator over HTTP, a Celery worker and beat, this test's DB.

The `engine_factory` fixture is registered in tests/conftest.py."""

import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

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
    # A lost deploy answer is checked 1 s later; a worker gone mid-call is noticed after 25 s.
    "ROLLOUT_SETTLE_SECONDS": "1",
    "ROLLOUT_STEP_TIME_LIMIT": "15",
}


@dataclass
class Engine:
    sim: SimulatorHandle
    worker: ManagedProcess | None  # the last one started
    beat: ManagedProcess | None
    env: dict
    stack: ExitStack
    tmp_path: object
    workers: list = field(default_factory=list)
    beats: list = field(default_factory=list)

    def logs(self) -> str:
        parts = [f"--- worker\n{w.log()[-4000:]}" for w in self.workers]
        parts += [f"--- beat\n{b.log()[-1500:]}" for b in self.beats]
        parts.append(f"--- simulator\n{self.sim.output()[-2000:]}")
        return "\n".join(parts)

    def supervise(self) -> int:
        """What compose's `restart: unless-stopped` does: start again what exited. Returns how
        many processes were restarted."""
        restarted = 0
        if self.worker is not None and not self.worker.alive():
            self.restart_worker()
            restarted += 1
        if self.beat is not None and not self.beat.alive():
            self.start_beat()
            restarted += 1
        return restarted

    def restart_worker(self) -> ManagedProcess:
        self.worker = self.stack.enter_context(celery_worker(env=self.env, log_dir=self.tmp_path))
        self.workers.append(self.worker)
        return self.worker

    def start_beat(self) -> ManagedProcess:
        self.beat = self.stack.enter_context(celery_beat(env=self.env, log_dir=self.tmp_path))
        self.beats.append(self.beat)
        return self.beat

    def restart_all(self, *, workers: int, beats: int, **env) -> None:
        """Stop every worker and beat, then start this many again with `env` changed (an
        operator rotating a setting)."""
        for process in [*self.workers, *self.beats]:
            process.stop()
        self.env.update(env)
        for _ in range(workers):
            self.restart_worker()
        for _ in range(beats):
            self.start_beat()


@pytest.fixture
def engine_factory(worker_env, tmp_path):
    """`with engine_factory(sim options..., env={...}) as engine:` starts the three processes."""
    session_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = worker_env["CELERY_TASK_DEFAULT_QUEUE"]

    @contextmanager
    def start(
        *,
        env: dict | None = None,
        beat: bool = True,
        workers: int = 1,
        beats: int = 1,
        **sim_options,
    ):
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
            engine = Engine(sim, None, None, full_env, stack, tmp_path)
            for _ in range(workers):
                engine.restart_worker()
            for _ in range(beats if beat else 0):
                engine.start_beat()
            yield engine

    try:
        yield start
    finally:
        celery_app.conf.task_default_queue = session_queue
