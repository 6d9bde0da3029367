"""Benchmark reading back the progress of a 100,000-device stage (one full stage_poll).

    .venv/bin/python bench/bench_poll_100k.py [--devices 143000] [--page-sizes 500,100]
        [--db bench_poll] [--no-write]

In-process, no worker: a fresh PostgreSQL database (dropped, created, migrated), the simulator
(time frozen) with a fleet sized so its Demo project holds ~100,000 devices, and for each page
size one rollout whose single `all` stage is begun and deployed through the engine
(engine.stage_begin + outbox.calls_send_due). Then, after simulated time moves on,
progress.stage_poll(...) is timed twice: pass 1 inserts every DeviceProgress row, pass 2
updates them. Measured: devices_details calls per pass (from the simulator's call log; target
ceil(devices / page size)) and seconds per pass (target ≤ 10 s), split into HTTP (time inside
UpswiftClient.send: request + JSON decode), SQL (connection.execute_wrapper) and the rest
(Python: matching devices, building rows). Last, one stage_poll under the default budget
(60 calls a minute, page size 100) shows whether such a poll can complete at all. Prints the
figures and appends a dated section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_simulator import _date_u, append_report, machine  # noqa: E402  (bench/ script)

TARGET_SECONDS = 10.0
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def database_recreate(name: str) -> str:
    """Drop and create the benchmark's own database; returns its DATABASE_URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "upswift_console.settings",
            "ENV_FILE": "/dev/null",
            "DEBUG": "true",
            "SECRET_KEY": secrets.token_urlsafe(50),
            **env,
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@dataclass
class Timers:
    http: float = 0.0
    sql: float = 0.0
    queries: int = 0

    def sql_wrapper(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - started
            self.queries += 1


@contextmanager
def timed(timers: Timers) -> Iterator[None]:
    """Sum the time spent in UpswiftClient.send and in SQL while the block runs."""
    from django.db import connection

    from upswift import UpswiftClient

    original = UpswiftClient.send

    def send(self: UpswiftClient, request: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            timers.http += time.perf_counter() - started

    UpswiftClient.send = send  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(timers.sql_wrapper):
            yield
    finally:
        UpswiftClient.send = original  # type: ignore[method-assign]


def stage_deployed(label: str) -> tuple[Any, Any]:
    """A started rollout whose single `all` stage is deployed (monitoring)."""
    from django.contrib.auth import get_user_model

    from rollouts.engine import outbox
    from rollouts.engine import steps as engine
    from rollouts.services.actions import rollout_create, rollout_start
    from rollouts.services.plans import plan_create

    user, _ = get_user_model().objects.get_or_create(username="bench")
    stages = [{"target": "all", "approval_required": False, "success_threshold": 95}]
    plan = plan_create(name=f"Poll bench {label}", project="Demo", stages=stages, actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="bench-flow", app_name="default_app", app_version=label, actor=user
    )
    rollout_start(rollout=rollout, actor=user)
    stage = rollout.stages.get(position=1)
    assert engine.stage_begin(rollout=rollout, stage=stage, earlier=[])
    stage.refresh_from_db()
    assert outbox.calls_send_due(rollout=rollout, stage=stage)
    stage.refresh_from_db()
    assert stage.status == "monitoring", stage.status
    return rollout, stage


def poll_pass(sim: Any, rollout: Any, stage: Any) -> dict[str, Any]:
    from rollouts.engine import progress

    since = len(sim.calls())
    timers = Timers()
    started = time.perf_counter()
    with timed(timers):
        ok = progress.stage_poll(rollout=rollout, stage=stage)
    seconds = time.perf_counter() - started
    assert ok, "stage_poll failed"
    pages = [c for c in sim.calls(since) if c["path"].endswith("/devices_details")]
    return {
        "seconds": seconds,
        "http": timers.http,
        "sql": timers.sql,
        "queries": timers.queries,
        "calls": len(pages),
        "sim_ms": sum(c["duration_ms"] or 0 for c in pages),
        "rows": stage.devices_total,
        "success": stage.count_success,
    }


def run(sim: Any, page_size: int) -> dict[str, Any]:
    from django.test import override_settings

    with override_settings(UPSWIFT_PAGE_SIZE=page_size):
        rollout, stage = stage_deployed(f"v-page-{page_size}")
        sim.advance(minutes=2)  # a mix of pending / in progress / success
        first = poll_pass(sim, rollout, stage)
        sim.advance(minutes=5)  # nearly every device done: pass 2 updates most rows
        second = poll_pass(sim, rollout, stage)
        sim.advance(minutes=10)  # the next rollout starts from a quiet fleet
    return {"page_size": page_size, "passes": [first, second]}


def default_budget_poll(sim: Any, rollout: Any, stage: Any) -> dict[str, Any]:
    """One stage_poll under the default budget (60 calls a minute) and page size (100)."""
    from django.core.cache import cache
    from django.test import override_settings

    from rollouts.engine import progress
    from rollouts.models import ApiCall, CallKind

    cache.clear()
    since = len(sim.calls())
    with override_settings(UPSWIFT_CALLS_PER_MINUTE=60, UPSWIFT_PAGE_SIZE=100):
        ok = progress.stage_poll(rollout=rollout, stage=stage)
    cache.clear()
    row = ApiCall.objects.filter(stage=stage, kind=CallKind.POLL).latest("id")
    return {"ok": ok, "pages": len(sim.calls(since)), "error": row.error_message}


def verdicts(stage_size: int, results: list[dict]) -> list[tuple[int, int, dict, int, bool]]:
    """(page size, pass, figures, target calls, both targets met) for every pass."""
    rows = []
    for result in results:
        target_calls = math.ceil(stage_size / result["page_size"])
        for n, p in enumerate(result["passes"], start=1):
            ok = p["calls"] <= target_calls and p["seconds"] <= TARGET_SECONDS
            rows.append((result["page_size"], n, p, target_calls, ok))
    return rows


def report(
    args: argparse.Namespace, stage_size: int, results: list[dict], budget: dict[str, Any]
) -> str:
    cmd_pages = ",".join(str(r["page_size"]) for r in results)
    now = datetime.now(tz=UTC)
    lines = [
        f"## Progress poll, {stage_size:,}-device stage — {now:%Y-%m-%d %H:%M UTC}",
        "",
        f"- Command: `.venv/bin/python bench/bench_poll_100k.py --devices {args.devices} "
        f"--page-sizes {cmd_pages}`",
        f"- Date (`date -u`): {_date_u()}",
        f"- Machine: {machine()}, {ram_gb():.0f} GB RAM; load average at start "
        f"{args.load:.2f} (other engineers' test suites share the 2 cores)",
        f"- Simulator: {args.devices:,} devices (time frozen), {stage_size:,} in project Demo; "
        f"fleet generation + start {args.startup:.1f} s. PostgreSQL on 127.0.0.1, in-process "
        "engine calls, UPSWIFT_CALLS_PER_MINUTE=0.",
        "- One `all` stage per page size, deployed through engine.stage_begin + "
        "outbox.calls_send_due; pass 1 after 2 simulated minutes (inserts every row), pass 2 "
        "after 5 more (updates them). HTTP = time inside UpswiftClient.send (request + JSON "
        "decode; server share in brackets), SQL = connection.execute_wrapper, rest = Python "
        "(matching updates, building and comparing rows, preparing the upsert).",
        "",
        "| page size | pass | devices_details calls | target calls | rows | seconds "
        "| HTTP s (server s) | SQL s (queries) | rest s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page_size, n, p, target_calls, _ in verdicts(stage_size, results):
        rest = p["seconds"] - p["http"] - p["sql"]
        lines.append(
            f"| {page_size} | {n} ({'insert' if n == 1 else 'update'}) "
            f"| {p['calls']} | {target_calls} | {p['rows']:,} | {p['seconds']:.1f} "
            f"| {p['http']:.1f} ({p['sim_ms'] / 1000:.1f}) | {p['sql']:.1f} ({p['queries']}) "
            f"| {rest:.1f} |"
        )
    lines.append("")
    for page_size, n, p, target_calls, _ in verdicts(stage_size, results):
        calls_ok = p["calls"] <= target_calls
        time_ok = p["seconds"] <= TARGET_SECONDS
        lines.append(
            f"- page size {page_size}, pass {n}: {p['calls']} calls (target ≤ {target_calls}: "
            f"**{'met' if calls_ok else 'NOT met'}**), {p['seconds']:.1f} s "
            f"(target ≤ {TARGET_SECONDS:.0f} s: **{'met' if time_ok else 'NOT met'}**)"
        )
    outcome = "completed" if budget["ok"] else f"failed ({budget['error']})"
    lines += [
        f"- With the default budget and page size (UPSWIFT_CALLS_PER_MINUTE=60, "
        f"UPSWIFT_PAGE_SIZE=100) one stage_poll sent {budget['pages']} pages of the "
        f"{math.ceil(stage_size / 100)} needed and {outcome}.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=143_000, help="fleet (Demo is ~70%%)")
    parser.add_argument("--page-sizes", default="500,100", help="comma separated, 1..500")
    parser.add_argument("--db", default="bench_poll", help="PostgreSQL database (recreated)")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    os.chdir(ROOT)
    page_sizes = [int(p) for p in args.page_sizes.split(",")]
    from upswift_simulator.testing import running_simulator

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp,
        running_simulator(
            devices=args.devices, seed=7, failure_rate=0.02, offline_share=0.0, speedup=0
        ) as sim,
    ):
        args.startup = time.perf_counter() - started
        django_setup(
            {
                "DATABASE_URL": database_recreate(args.db),
                "UPSWIFT_API_URL": sim.base_url,
                "UPSWIFT_USER_TOKEN": sim.token,
                "UPSWIFT_CALLS_PER_MINUTE": "0",
                "UPSWIFT_TIMEOUT_SECONDS": "60",
                "CACHE_URL": "locmemcache://",
                # rollout_start enqueues an advance task after commit: into a throwaway broker
                "CELERY_BROKER_URL": "filesystem://",
                "CELERY_BROKER_DIR": tmp,
            }
        )
        stage_size = sim.truth(project="Demo")["devices"]
        results = [run(sim, page_size) for page_size in page_sizes]
        budget = default_budget_poll(sim, *stage_deployed("v-default-budget"))
    text = report(args, stage_size, results, budget)
    print(text)
    if not args.no_write:
        append_report(text)
        print("Appended to docs/benchmarks.md")
    return 0 if all(row[-1] for row in verdicts(stage_size, results)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
