"""Benchmark the console's pages on PostgreSQL with years of history.

    .venv/bin/python bench/bench_pages.py [--rollouts 1000] [--requests 60] [--db bench_pages]
        [--no-write]

A fresh PostgreSQL database gets 1,000 rollouts, 10,000 stages, 100,000 device rows, 100,000
events and 10,000 API calls (bulk inserts). Then, in-process through Django's test client with
production settings (DEBUG off, manifest static files), each page is requested N times by a
release manager: the dashboard, history, a rollout page, its live-progress fragment, and the
API's rollout get. Measured per page: SQL queries per request, p50/p95 server time (the whole
Django request/response cycle, no network). Targets: queries independent of size (compared
with the same pages at 1/10 of the data), p95 ≤ 100 ms. Appends to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_poll_100k import database_recreate, django_setup, ram_gb  # noqa: E402
from bench_simulator import _date_u, append_report, machine, p95  # noqa: E402

STAGES_PER_ROLLOUT = 10
DEVICES_PER_STAGE = 10
EVENTS_PER_ROLLOUT = 100
CALLS_PER_ROLLOUT = 10
TARGET_P95_MS = 100.0


def seed(*, rollouts: int, user) -> int:
    """Bulk-insert the history; returns the id of a rollout to look at (a running one)."""
    from django.utils import timezone

    from rollouts.models import (
        DeviceProgress,
        Event,
        Plan,
        PlanStage,
        Rollout,
        RolloutStage,
    )

    now = timezone.now()
    plan = Plan.objects.create(name=f"Weekly {rollouts}", project="Demo", created_by=user)
    PlanStage.objects.bulk_create(
        PlanStage(plan=plan, position=n, target="groups", groups=[f"G{n}"])
        for n in range(1, STAGES_PER_ROLLOUT + 1)
    )
    statuses = ["completed"] * 8 + ["aborted", "failed"]
    objs = Rollout.objects.bulk_create(
        Rollout(
            plan=plan,
            project="Demo",
            flow_id="73a7-1ft8",
            app_name="sensor-agent",
            app_version=f"v{i // 100}.{i % 100}",
            comment=f"release {i}",
            status="running" if i == rollouts - 1 else statuses[i % len(statuses)],
            created_by=user,
            started_by=user,
            started_at=now - timedelta(hours=rollouts - i),
        )
        for i in range(rollouts)
    )
    stages = RolloutStage.objects.bulk_create(
        RolloutStage(
            rollout=r,
            position=n,
            name=f"Stage {n}",
            target="groups",
            groups=[f"G{n}"],
            status="succeeded"
            if r.status == "completed"
            else ("monitoring" if n == 1 else "pending"),
            cohort={"project": {"name": "Demo"}, "groups": [{"name": f"G{n}"}], "filters": []},
            devices_total=DEVICES_PER_STAGE,
            count_success=DEVICES_PER_STAGE - 1,
            count_failed=1,
        )
        for r in objs
        for n in range(1, STAGES_PER_ROLLOUT + 1)
    )
    DeviceProgress.objects.bulk_create(
        (
            DeviceProgress(
                stage=s,
                device_uuid=f"d-{s.pk:04x}-{d:04x}",
                device_name=f"dev-{s.pk}-{d}",
                group=s.groups[0],
                status="failed" if d == 0 else "success",
                update_id=s.pk * 100 + d,
            )
            for s in stages
            for d in range(DEVICES_PER_STAGE)
        ),
        batch_size=5000,
    )
    Event.objects.bulk_create(
        (
            Event(
                rollout=r,
                kind="stage_succeeded",
                from_status="monitoring",
                to_status="succeeded",
                details={"counts": {"success": 9, "failed": 1}, "devices": 10},
            )
            for r in objs
            for _ in range(EVENTS_PER_ROLLOUT)
        ),
        batch_size=5000,
    )
    poll_calls_create(objs, per_rollout=CALLS_PER_ROLLOUT)
    # History happened over time (auto_now_add stamped it all now), and autovacuum would have
    # analysed the tables by the time anyone looks.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("rollouts_event", "rollouts_apicall"):
            cursor.execute(f"UPDATE {table} SET created_at = now() - id * interval '1 minute'")  # noqa: S608 (fixed names)
        cursor.execute("ANALYZE")
    return objs[-1].pk


def poll_calls_create(rollouts, *, per_rollout: int) -> None:
    """`per_rollout` successful one-page read-back calls for each rollout (the calls table)."""
    from rollouts.models import ApiCall

    ApiCall.objects.bulk_create(
        (
            ApiCall(
                rollout=r,
                kind="poll",
                state="succeeded",
                http_status=200,
                pages=1,
                duration_ms=12.0,
                request={"method": "GET", "path": "/devices_details", "body": {}},
            )
            for r in rollouts
            for _ in range(per_rollout)
        ),
        batch_size=5000,
    )


def _stage_status(rollout_status: str, position: int) -> str:
    if rollout_status == "completed":
        return "succeeded"
    return "monitoring" if position == 1 else "pending"


def measure(client, url: str, *, headers: dict, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, headers=headers)  # warm caches of templates and URL resolution
    times, sql_ms, queries = [], [], set()
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(ctx.captured_queries))
        sql_ms.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    return {
        "p50": statistics.median(times),
        "p95": p95(times),
        "sql_p50": statistics.median(sql_ms),
        "queries": sorted(queries),
    }


def pages(rollout_id: int) -> dict[str, str]:
    from django.urls import reverse

    return {
        "dashboard": reverse("dashboard"),
        "history": reverse("history"),
        "rollout page": reverse("rollout_detail", args=[rollout_id]),
        "live fragment": reverse("rollout_live", args=[rollout_id]),
        "API rollout get": reverse("api-rollout", args=[rollout_id]),
    }


def run(rollouts: int, requests: int) -> dict[str, dict]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from rollouts.roles import RELEASE_MANAGER, roles_sync
    from rollouts.services.tokens import api_token_create

    roles_sync()
    user = get_user_model().objects.create_user("bench-rm", password="not-used-bench-1")
    user.groups.add(Group.objects.get(name=RELEASE_MANAGER))
    _, raw = api_token_create(user=user, name="bench")
    rollout_id = seed(rollouts=rollouts, user=user)
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()
    client.force_login(user)
    results = {}
    for name, url in pages(rollout_id).items():
        headers = {"Authorization": f"Bearer {raw}"} if name.startswith("API") else {}
        results[name] = measure(client, url, headers=headers, requests=requests)
    return results


def report(args, big: dict, small: dict) -> str:
    lines = [
        f"## Pages with {args.rollouts:,} rollouts of history — {_date_u()}",
        "",
        f"- Command: `.venv/bin/python bench/bench_pages.py --rollouts {args.rollouts} "
        f"--requests {args.requests}`",
        f"- Machine: {machine()}, {ram_gb():.0f} GB RAM; load average at start "
        f"{os.getloadavg()[0]:.2f}",
        f"- Data: {args.rollouts:,} rollouts, {args.rollouts * STAGES_PER_ROLLOUT:,} stages, "
        f"{args.rollouts * STAGES_PER_ROLLOUT * DEVICES_PER_STAGE:,} device rows, "
        f"{args.rollouts * EVENTS_PER_ROLLOUT:,} events, "
        f"{args.rollouts * CALLS_PER_ROLLOUT:,} API calls on PostgreSQL; DEBUG off; "
        f"in-process Django test client, {args.requests} requests a page, signed in as a "
        "release manager (a bearer token for the API).",
        "",
        f"| page | queries ({args.rollouts // 10:,} rollouts) | queries ({args.rollouts:,}) "
        "| p50 ms | of which SQL | p95 ms | p95 ≤ 100 ms |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in big.items():
        ok = "met" if row["p95"] <= TARGET_P95_MS else "**not met**"
        lines.append(
            f"| {name} | {'/'.join(map(str, small[name]['queries']))} | "
            f"{'/'.join(map(str, row['queries']))} | {row['p50']:.1f} | {row['sql_p50']:.1f} | "
            f"{row['p95']:.1f} | {ok} |"
        )
    same = all(small[n]["queries"] == big[n]["queries"] for n in big)
    lines += ["", f"Queries independent of size: **{'yes' if same else 'NO'}**.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rollouts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--db", default="bench_pages")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    import multiprocessing

    # Each size in its own process: a fresh database and a fresh Django.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        small = pool.apply(_run_in_db, (f"{args.db}_small", args.rollouts // 10, args.requests))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        big = pool.apply(_run_in_db, (args.db, args.rollouts, args.requests))
    text = report(args, big, small)
    print(text)
    if not args.no_write:
        append_report(text)
    return 0 if all(r["p95"] <= TARGET_P95_MS for r in big.values()) else 1


def _run_in_db(db: str, rollouts: int, requests: int) -> dict:
    django_setup(
        {
            "DATABASE_URL": database_recreate(db),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "CACHE_URL": "locmemcache://",
            "CELERY_BROKER_URL": "memory://",
        }
    )
    return run(rollouts, requests)


if __name__ == "__main__":
    sys.exit(main())
