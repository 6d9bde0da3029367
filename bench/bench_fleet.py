"""Benchmark the fleet inventory at 100,000 devices: the refresh's calls and time, and the
cheapest read-back's calls per pass against their lower bound.

    .venv/bin/python bench/bench_fleet.py [--devices 143000] [--canary 30] [--db bench_fleet]
        [--no-write]

In-process, no worker: a fresh PostgreSQL database, the simulator (time frozen) with a fleet
whose Demo project holds ~100,000 devices, `--canary` of them tagged `pilot` through the API.
1. `inventory_refresh(project="Demo")` twice with no budget limit: calls (devices_details +
   get_devices_state), seconds, rows written (the second read writes only what changed), and
   how long the same read takes at the default budget share (60 calls a minute, half of them
   for the inventory).
2. A rollout of three stages (tag pilot, group TestGroup1, all): each stage begun, deployed and
   read back once with `progress.stage_poll`; its devices_details calls per pass against the
   lower bound (a device-by-device read for a small cohort, ceil(devices / page) for a group,
   the cheapest scope otherwise) and against the whole-project read a pass cost before.
Prints the figures and appends a dated section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_poll_100k import database_recreate, django_setup, ram_gb  # noqa: E402
from bench_simulator import _date_u, append_report, machine  # noqa: E402

PAGE = 100


def tag_pilots(sim: Any, count: int) -> list[str]:
    """Tag `count` Demo devices, spread over its groups, `pilot` (POST /devices_details)."""
    uuids = sorted(
        u for us in sim.truth(project="Demo", devices=True)["device_uuids"].values() for u in us
    )
    chosen = uuids[:: max(1, len(uuids) // count)][:count]
    for uuid in chosen:
        answer = sim.api("POST", "devices_details", {"device_token": uuid, "tag": "pilot"})
        answer.raise_for_status()
    return chosen


def refresh(sim: Any) -> dict[str, Any]:
    from rollouts.engine.inventory import inventory_refresh
    from rollouts.models import FleetRead

    since = len(sim.calls())
    started = time.perf_counter()
    assert inventory_refresh(project="Demo")
    seconds = time.perf_counter() - started
    calls = sim.calls(since)
    read = FleetRead.objects.get(project="Demo")
    return {
        "seconds": seconds,
        "details": sum(c["path"].endswith("/devices_details") for c in calls),
        "states": sum(c["path"].endswith("/get_devices_state") for c in calls),
        "written": read.last_written,
        "devices": read.devices,
    }


def stages_read(sim: Any) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from rollouts.engine import outbox, progress
    from rollouts.engine import steps as engine
    from rollouts.engine.readback import read_costs, read_plan
    from rollouts.models import StageStatus
    from rollouts.services.actions import rollout_create, rollout_start
    from rollouts.services.plans import plan_create

    user, _ = get_user_model().objects.get_or_create(username="bench", is_superuser=True)
    specs = [
        {"target": "tag", "tag": "pilot", "approval_required": False},
        {"target": "groups", "groups": ["TestGroup1"], "approval_required": False},
        {"target": "all", "approval_required": False},
    ]
    plan = plan_create(name="Fleet bench", project="Demo", stages=specs, actor=user)
    rollout = rollout_create(
        plan=plan, flow_id="bench-flow", app_name="default_app", app_version="v-fleet", actor=user
    )
    rollout_start(rollout=rollout, actor=user)
    stages = list(rollout.stages.order_by("position"))
    project = sim.truth(project="Demo")["devices"]
    rows = []
    for index, stage in enumerate(stages):
        assert engine.stage_begin(rollout=rollout, stage=stage, earlier=stages[:index])
        stage.refresh_from_db()
        assert outbox.calls_send_due(rollout=rollout, stage=stage)
        stage.refresh_from_db()
        sim.advance(minutes=10)
        costs = read_costs(project="Demo", stage=stage)
        plan_now = read_plan(project="Demo", stage=stage)
        since = len(sim.calls())
        started = time.perf_counter()
        assert progress.stage_poll(rollout=rollout, stage=stage)
        seconds = time.perf_counter() - started
        made = [c for c in sim.calls(since) if c["path"].endswith("/devices_details")]
        cohort = stage.devices_total
        if stage.target == "groups":
            bound = sum(
                math.ceil(sim.truth(project="Demo", groups=[g])["devices"] / PAGE)
                for g in stage.groups
            )
        else:
            bound = min(c["calls"] for c in costs.values())
        rows.append(
            {
                "stage": f"{stage.position}: {stage.target_label}",
                "devices": cohort,
                "by": plan_now["by"],
                "calls": len(made),
                "bound": bound,
                "floor": max(1, math.ceil(cohort / PAGE)),
                "before": math.ceil(project / PAGE),
                "seconds": seconds,
            }
        )
        stage.refresh_from_db()
        type(stage).objects.filter(pk=stage.pk).update(status=StageStatus.SUCCEEDED)
    return rows


def report(args: argparse.Namespace, first: dict, second: dict, rows: list[dict]) -> str:
    share_per_minute = 60 * 0.5
    calls = first["details"] + first["states"]
    now = datetime.now(tz=UTC)
    lines = [
        f"## Fleet inventory and cheapest read-back, {first['devices']:,}-device project — "
        f"{now:%Y-%m-%d %H:%M UTC}",
        "",
        f"- Command: `.venv/bin/python bench/bench_fleet.py --devices {args.devices} "
        f"--canary {args.canary}`",
        f"- Date (`date -u`): {_date_u()}",
        f"- Machine: {machine()}, {ram_gb():.0f} GB RAM; load average at start {args.load:.2f} "
        "(other engineers' test suites share the 2 cores)",
        f"- Simulator: {args.devices:,} devices (time frozen), {first['devices']:,} in project "
        f"Demo, {args.canary} of them tagged `pilot`; page size {PAGE}; PostgreSQL on "
        "127.0.0.1; in-process engine calls, UPSWIFT_CALLS_PER_MINUTE=0 (no budget wait).",
        "",
        "| inventory read | devices_details calls | get_devices_state calls | seconds "
        "| rows written |",
        "|---|---:|---:|---:|---:|",
        f"| first (empty inventory) | {first['details']} | {first['states']} "
        f"| {first['seconds']:.1f} | {first['written']:,} |",
        f"| second (nothing changed) | {second['details']} | {second['states']} "
        f"| {second['seconds']:.1f} | {second['written']:,} |",
        "",
        f"- At the default budget (60 calls a minute, FLEET_BUDGET_SHARE 0.5) the {calls:,} "
        f"calls of a whole read take at least {calls / share_per_minute:.0f} minutes, spread over "
        "beat ticks; rollouts keep the other half of every minute.",
        "",
        "| stage | devices | read by | calls per pass | lower bound | floor ceil(n/page) "
        "| a pass before (whole project) | seconds |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['stage']} | {r['devices']:,} | {r['by']} | {r['calls']} | {r['bound']} "
            f"| {r['floor']} | {r['before']} | {r['seconds']:.1f} |"
        )
    lines += [
        "",
        "Lower bound: the cheapest of device by device (one call per device), the groups that "
        "hold the cohort (ceil(group size / page) each) and the whole project, as the inventory "
        "counts them; for a groups stage ceil(group devices / page size).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=143_000, help="fleet (Demo is ~70%%)")
    parser.add_argument("--canary", type=int, default=30, help="devices tagged pilot")
    parser.add_argument("--db", default="bench_fleet", help="PostgreSQL database (recreated)")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    os.chdir(ROOT)
    from upswift_simulator.testing import running_simulator

    with (
        tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp,
        running_simulator(
            devices=args.devices, seed=7, failure_rate=0.02, offline_share=0.1, speedup=0
        ) as sim,
    ):
        django_setup(
            {
                "DATABASE_URL": database_recreate(args.db),
                "UPSWIFT_API_URL": sim.base_url,
                "UPSWIFT_USER_TOKEN": sim.token,
                "UPSWIFT_CALLS_PER_MINUTE": "0",
                "UPSWIFT_PAGE_SIZE": str(PAGE),
                "UPSWIFT_TIMEOUT_SECONDS": "60",
                "CACHE_URL": "locmemcache://",
                "CELERY_BROKER_URL": "filesystem://",
                "CELERY_BROKER_DIR": tmp,
            }
        )
        tag_pilots(sim, args.canary)
        first = refresh(sim)
        second = refresh(sim)
        rows = stages_read(sim)
    text = report(args, first, second, rows)
    print(text)
    if not args.no_write:
        append_report(text)
        print("Appended to docs/benchmarks.md")
    return 0 if all(r["calls"] <= r["bound"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
