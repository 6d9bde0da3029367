"""Benchmark approve -> deploy latency: stage_approve commits, the simulator gets the deploy.

    .venv/bin/python bench/bench_approve_latency.py [--approvals 50] [--fallback 10]
        [--devices 1000] [--redis-db 4] [--db bench_approve] [--no-write]

A fresh PostgreSQL database, the simulator over HTTP (speedup 60, no failures, all online), a
real Celery worker and beat on Redis (a queue and cache prefix of this run's own). Plans have
ten stages: canary (started with the rollout), then beta, rack-a, rack-b (tags) and six groups,
each needing approval, soak 0 and success threshold 0, so a stage is done at the read-back
right after its deploy and the next one waits for approval without any reconcile tick.

Phase 1 (the on_commit path): beat reconciles every 30 s only, so the deploy comes from the
rollout_advance task that stage_approve enqueues after commit. An approval whose window holds
a reconcile tick (from the beat log) is counted and shown. Phase 2 (the fallback, a lost
message): the bench process enqueues nothing and a second beat reconciles every second.
Latency = the simulator's recorded arrival time of the stage's deploy_update minus
time.time() just before stage_approve (same clock). Appends a section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_poll_100k import database_recreate, django_setup, ram_gb  # noqa: E402
from bench_simulator import _date_u, append_report, machine, p95  # noqa: E402

TARGET_P95 = 1.0
STAGES: list[dict[str, Any]] = [
    {"target": "tag", "tag": "canary"},
    *({"target": "tag", "tag": tag} for tag in ("beta", "rack-a", "rack-b")),
    *(
        {"target": "groups", "groups": [group]}
        for group in ("TestGroup1", "TestGroup2", "Lab", "EU-West", "US-East", "Production")
    ),
]
for _spec in STAGES:
    _spec.update(approval_required=True, success_threshold=0, soak_minutes=0)
BEAT_TICK = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}).*Sending due task rollouts-rec")


def reconcile_ticks(beat_log: str) -> list[float]:
    """Times (epoch seconds) at which beat sent a reconcile; the log is in local time."""
    return [
        datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for m in map(BEAT_TICK.match, beat_log.splitlines())
        if m
    ]


def redis_forget(url: str, queue: str) -> None:
    """Drop what the broker keeps in Redis for this run's queue once its processes stopped."""
    import redis

    with redis.Redis.from_url(url) as client:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def approvals_run(sim: Any, count: int, pause: float) -> list[dict[str, float]]:
    """Approve `count` stages, one at a time, each once the worker is idle."""
    from django.contrib.auth import get_user_model

    from rollouts.models import RolloutStatus
    from rollouts.services.actions import (
        rollout_abort,
        rollout_create,
        rollout_start,
        stage_approve,
    )
    from rollouts.services.events import TransitionConflict
    from rollouts.services.plans import plan_create
    from tests.process.helpers import wait_awaiting_approval
    from tests.support.processes import wait_for

    user, _ = get_user_model().objects.get_or_create(username="bench")
    plan = plan_create(name=f"Approve bench {uuid.uuid4().hex[:6]}", project="Demo", stages=STAGES)
    logs = type("Logs", (), {"logs": staticmethod(lambda: sim.output()[-2000:])})
    samples: list[dict[str, float]] = []
    while len(samples) < count:
        rollout = rollout_create(
            plan=plan, flow_id="bench-flow", app_name="default_app", app_version="v2", actor=user
        )
        rollout_start(rollout=rollout, actor=user)
        for position in range(2, len(STAGES) + 1):
            if len(samples) == count:
                break
            wait_awaiting_approval(rollout, position, engine=logs, timeout=120)
            time.sleep(pause)  # let the worker go idle: measure one approval at a time
            since = len(sim.calls())
            before = time.time()
            stage = stage_approve(rollout=rollout, actor=user, comment="bench")
            after = time.time()
            marker = rollout.marker(stage)

            def deploy(marker: str = marker, since: int = since) -> dict | None:
                return next(
                    (
                        c
                        for c in sim.calls(since)
                        if c["path"].endswith("/deploy_update")
                        and c["body"]["metadata"]["comment"].startswith(marker)
                    ),
                    None,
                )

            call = wait_for(deploy, timeout=120, interval=0.1)
            arrived = datetime.fromisoformat(call["time"]).timestamp()
            samples.append({"before": before, "after": after, "arrived": arrived})
        rollout.refresh_from_db(fields=["status"])
        if rollout.status in (RolloutStatus.RUNNING, RolloutStatus.PAUSED):
            # The engine may complete it in between: that is an end too, not an error.
            with contextlib.suppress(TransitionConflict):
                rollout_abort(rollout=rollout, actor=user, reason="benchmark done")
    return samples


def summary(samples: list[dict[str, float]], ticks: list[float]) -> dict[str, Any]:
    latency = [s["arrived"] - s["before"] for s in samples]
    overlaps = sum(any(s["before"] <= t <= s["arrived"] for t in ticks) for s in samples)
    return {
        "n": len(samples),
        "p50": statistics.median(latency),
        "p95": p95(latency),
        "max": max(latency),
        "min": min(latency),
        "approve_ms": statistics.median(s["after"] - s["before"] for s in samples) * 1000,
        "overlaps": overlaps,
        "ticks": len(ticks),
    }


def report(args: argparse.Namespace, env: dict[str, str], phases: dict[str, dict]) -> str:
    main = phases["on_commit"]
    verdict = "met" if main["p95"] <= TARGET_P95 else "NOT met"
    lines = [
        f"## Approve → deploy latency — {datetime.now(tz=UTC):%Y-%m-%d %H:%M UTC}",
        "",
        f"- Command: `.venv/bin/python bench/bench_approve_latency.py --approvals "
        f"{args.approvals} --fallback {args.fallback} --devices {args.devices}`",
        f"- Date (`date -u`): {_date_u()}",
        f"- Machine: {machine()}, {ram_gb():.0f} GB RAM; load average at start "
        f"{args.load:.2f} (other engineers' test suites share the 2 cores)",
        f"- Setup: simulator {args.devices:,} devices over HTTP (speedup 60, failure rate 0, "
        "all online); one Celery worker (prefork, concurrency 2) and beat on Redis "
        f"(`redis://127.0.0.1:6379/{args.redis_db}`, queue and cache prefix of this run); "
        "PostgreSQL. Engine env: "
        + ", ".join(f"{k}={v}" for k, v in env.items() if k.startswith(("ROLLOUT_", "UPSWIFT_C")))
        + ".",
        "- Each rollout: canary, then 3 tag stages and 6 group stages needing approval, soak 0, "
        "success threshold 0; approvals one at a time, each after the worker went idle. Latency "
        "= the simulator's arrival time of that stage's deploy_update − `time.time()` just "
        "before `stage_approve` (one clock).",
        "",
        "| path | approvals | p50 s | p95 s | min s | max s | stage_approve median ms "
        "| approvals with a reconcile tick in their window (ticks in the phase) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "on_commit": "task enqueued on commit (beat reconcile every 30 s)",
        "fallback": "message lost: next reconcile tick (beat every 1 s, nothing enqueued)",
    }
    for name, s in phases.items():
        lines.append(
            f"| {labels[name]} | {s['n']} | {s['p50']:.3f} | {s['p95']:.3f} | {s['min']:.3f} "
            f"| {s['max']:.3f} | {s['approve_ms']:.0f} | {s['overlaps']} ({s['ticks']}) |"
        )
    lines += [
        "",
        f"On-commit path: p50 {main['p50']:.3f} s, p95 {main['p95']:.3f} s over {main['n']} "
        f"approvals — target p95 ≤ {TARGET_P95:.0f} s: **{verdict}**.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approvals", type=int, default=50)
    parser.add_argument("--fallback", type=int, default=10, help="approvals via reconcile only")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--pause", type=float, default=0.3, help="idle seconds before approving")
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--db", default="bench_approve", help="PostgreSQL database (recreated)")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    os.chdir(ROOT)
    from upswift_simulator.testing import running_simulator

    run_id = uuid.uuid4().hex[:8]
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    with ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-approve-")))
        stack.callback(redis_forget, redis_url, f"bench-approve-{run_id}")
        sim = stack.enter_context(
            running_simulator(devices=args.devices, speedup=60, failure_rate=0, offline_share=0)
        )
        env = {
            "DATABASE_URL": database_recreate(args.db),
            "CELERY_BROKER_URL": redis_url,
            "CACHE_URL": redis_url,
            "CACHE_KEY_PREFIX": f"bench-approve-{run_id}",
            "CELERY_TASK_DEFAULT_QUEUE": f"bench-approve-{run_id}",
            "UPSWIFT_API_URL": sim.base_url,
            "UPSWIFT_USER_TOKEN": sim.token,
            "UPSWIFT_CALLS_PER_MINUTE": "0",
            "UPSWIFT_TIMEOUT_SECONDS": "5",
            "ROLLOUT_POLL_SECONDS": "0.5",
            "ROLLOUT_RECONCILE_SECONDS": "30",
        }
        django_setup(env)
        from tests.support.processes import celery_beat, celery_worker, wait_for

        worker = stack.enter_context(celery_worker(env=dict(os.environ), log_dir=log_dir))
        wait_for(lambda: "ready." in worker.log(), timeout=60, describe=worker.log)
        phases: dict[str, dict] = {}
        with celery_beat(env=dict(os.environ), log_dir=log_dir) as beat:
            samples = approvals_run(sim, args.approvals, args.pause)
            phases["on_commit"] = summary(samples, reconcile_ticks(beat.log()))
        if args.fallback:
            fast = {**os.environ, "ROLLOUT_RECONCILE_SECONDS": "1"}
            with (
                celery_beat(env=fast, log_dir=log_dir) as beat,
                mock.patch("rollouts.services.actions._enqueue_advance"),
            ):
                samples = approvals_run(sim, args.fallback, args.pause)
                phases["fallback"] = summary(samples, reconcile_ticks(beat.log()))
    text = report(args, env, phases)
    print(text)
    if not args.no_write:
        append_report(text)
        print("Appended to docs/benchmarks.md")
    return 0 if phases["on_commit"]["p95"] <= TARGET_P95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
