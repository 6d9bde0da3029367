"""Start real processes for integration tests: Celery workers and beats.

Each process gets the test database and its own queue, logs to a file that is printed when a
test fails to find what it waits for, and is stopped on exit.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to now (the test database)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    if engine.endswith("postgresql"):
        user = quote(settings_dict.get("USER") or "")
        password = quote(settings_dict.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    raise ValueError(f"no DATABASE_URL form for {engine}")


@dataclass
class ManagedProcess:
    name: str
    popen: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (a prefork worker has children)."""
        if self.alive():
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def _spawn(name: str, args: list[str], env: dict, log_dir: Path) -> ManagedProcess:
    log_path = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
    log_file = log_path.open("w")
    popen = subprocess.Popen(
        args,
        cwd=BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    return ManagedProcess(name=name, popen=popen, log_path=log_path)


def process_env(*, db_url: str, queue: str, **overrides: str) -> dict:
    # Notification tasks (beat's checks, deliveries) go to the same test queue, never to a
    # shared "notifications" queue that no test worker consumes.
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_NOTIFY_QUEUE": queue,
    }
    env.update(overrides)
    return env


@contextmanager
def celery_worker(
    *, env: dict, log_dir: Path, concurrency: int = 2, name: str | None = None
) -> Iterator[ManagedProcess]:
    hostname = name or f"test-{uuid.uuid4().hex[:8]}@%h"
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "upswift_console",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        f"--hostname={hostname}",
        "-Q",
        env["CELERY_TASK_DEFAULT_QUEUE"],
        "--without-gossip",
        "--without-mingle",
    ]
    process = _spawn("worker", args, env, log_dir)
    process.extra["hostname"] = hostname
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def celery_beat(*, env: dict, log_dir: Path) -> Iterator[ManagedProcess]:
    schedule_file = log_dir / f"beat-{uuid.uuid4().hex[:6]}"
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "upswift_console",
        "beat",
        "--loglevel=INFO",
        f"--schedule={schedule_file}",
    ]
    process = _spawn("beat", args, env, log_dir)
    try:
        yield process
    finally:
        process.stop()


def wait_for(
    predicate: Callable[[], object],
    *,
    timeout: float = 30,
    interval: float = 0.2,
    describe: Callable[[], str] = lambda: "",
):
    """Poll until predicate() is truthy and return its value; fail with context otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting\n{describe()}")
        time.sleep(interval)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(*, log_dir: Path, port: int | None = None) -> Iterator[ManagedProcess]:
    """A private redis-server on 127.0.0.1 (to stop and start without touching others')."""
    port = port or free_port()
    args = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(log_dir),
    ]
    process = _spawn("redis", args, dict(os.environ), log_dir)
    process.extra["url"] = f"redis://127.0.0.1:{port}"
    process.extra["port"] = port
    try:
        wait_for(
            lambda: "Ready to accept connections" in process.log(), timeout=20, describe=process.log
        )
        yield process
    finally:
        process.stop()
