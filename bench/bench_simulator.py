"""Benchmark the Upswift simulator at fleet scale.

    .venv/bin/python bench/bench_simulator.py [--devices 100000] [--no-write]

Starts ``python -m upswift_simulator`` as a subprocess (time frozen, so results do not depend on
the machine's speed), then measures:
  (a) deploy_update filter evaluation over the fleet: the server-side time the simulator reports
      in ``X-Sim-Filter-Ms`` (and the whole call, ``X-Sim-Server-Ms``), for several filters;
  (b) a full devices_details scan of every project, paging 500 at a time: pages, every device
      seen exactly once, total time;
  (c) the simulator process's resident memory (VmRSS) after generation and after the deploys.
Prints the figures and appends a dated section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
FILTER_TARGET_MS = 200.0
RSS_TARGET_MB = 500.0
REPEATS = 3
PAGE = 500


def condition(kind: str, operand: str, value: str) -> dict[str, str]:
    return {"type": kind, "operand": operand, "value": value}


# (label, groups, filters): the filters a staged rollout sends.
SCENARIOS: list[tuple[str, list[str], list[dict[str, str]]]] = [
    ("canary tag", [], [condition("tag", "is", "canary")]),
    ("one group", ["Production"], []),
    (
        "all minus canary, not in progress",
        [],
        [condition("tag", "is_not", "canary"), condition("update_status", "is_not", "in_progress")],
    ),
    (
        "two groups, online only",
        ["EU-West", "US-East"],
        [condition("device_state", "is", "online")],
    ),
    ("retry failed", [], [condition("update_status", "is", "failed")]),
    ("one device", [], [condition("specific_device", "is", "d-4ec7-1be9")]),
    (
        "app and not canary and not TestGroup",
        ["Production", "EU-West", "US-East", "Lab"],
        [condition("app", "is", "telemetry-agent"), condition("tag", "is_not", "canary")],
    ),
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run_deploys(sim: Any) -> list[dict[str, Any]]:
    rows = []
    for label, groups, filters in SCENARIOS:
        filter_ms, server_ms, client_ms, matched = [], [], [], 0
        for repeat in range(REPEATS):
            body = {
                "flow_id": "bench-flow",
                "devices_filter": {
                    "project": {"name": "Demo"},
                    "groups": [{"name": g} for g in groups],
                    "filters": filters,
                },
                "metadata": {
                    "comment": f"bench {label} #{repeat}",
                    "app": {"name": "default_app", "version": f"v{repeat}"},
                },
            }
            started = time.perf_counter()
            response = sim.api("POST", "deploy_update", body, timeout=120)
            client_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            filter_ms.append(float(response.headers["X-Sim-Filter-Ms"]))
            server_ms.append(float(response.headers["X-Sim-Server-Ms"]))
            if repeat == 0:
                matched = int(response.headers["X-Sim-Matched"])
        # let updates progress (and some fail) so later filters see a mixed fleet
        sim.advance(minutes=3)
        rows.append(
            {
                "label": label,
                "matched": matched,
                "filter_median": statistics.median(filter_ms),
                "filter_max": max(filter_ms),
                "server_median": statistics.median(server_ms),
                "server_all": server_ms,
                "client_median": statistics.median(client_ms),
                "filter_all": filter_ms,
            }
        )
    return rows


def full_scan(sim: Any) -> dict[str, Any]:
    seen: set[str] = set()
    duplicates = pages = 0
    started = time.perf_counter()
    for project in ("Demo", "Greenhouse", "Kiosks", "Test"):
        offset = 0
        while True:
            body = {"project_name": project, "limit": PAGE, "offset": offset}
            response = sim.api("GET", "devices_details", body, timeout=120)
            assert response.status_code == 200, response.text
            page = response.json()
            pages += 1
            for device in page["message"]:
                duplicates += device["device_uuid"] in seen
                seen.add(device["device_uuid"])
            if not page["more"]:
                break
            offset += PAGE
    return {
        "pages": pages,
        "devices": len(seen),
        "duplicates": duplicates,
        "seconds": time.perf_counter() - started,
    }


def machine() -> str:
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{cpus} CPUs (nproc), {platform.machine()}, Python {platform.python_version()}"


def report(devices: int, startup: float, rss: dict[str, float], rows: list, scan: dict) -> str:
    all_filter = [ms for row in rows for ms in row["filter_all"]]
    all_server = [ms for row in rows for ms in row["server_all"]]
    lines = [
        f"## Simulator, {devices:,} devices — {datetime.now(tz=UTC):%Y-%m-%d %H:%M UTC}",
        "",
        f"- Command: `.venv/bin/python bench/bench_simulator.py --devices {devices}`",
        f"- Date (`date -u`): {_date_u()}",
        f"- Machine: {machine()}",
        f"- Fleet generation + start: {startup:.1f} s",
        "",
        "### (a) deploy_update filter evaluation (server side, Demo project)",
        "",
        f"{REPEATS} deploys per filter (devices matched: by the first); each deploy also appends",
        'an update to every matched device (the "whole call" column). Time is frozen but',
        "advanced 3 simulated minutes after each filter, so the fleet gets a mix of statuses.",
        "",
        "| filter | devices matched | filter median ms | filter max ms "
        "| whole call median ms | round trip median ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['matched']:,} | {row['filter_median']:.1f} "
            f"| {row['filter_max']:.1f} | {row['server_median']:.1f} | {row['client_median']:.1f} |"
        )
    verdict = "met" if max(all_filter) <= FILTER_TARGET_MS else "NOT met"
    lines += [
        "",
        f"Filter evaluation over all {len(all_filter)} deploys: median "
        f"{statistics.median(all_filter):.1f} ms, p95 {p95(all_filter):.1f} ms, max "
        f"{max(all_filter):.1f} ms — target ≤ {FILTER_TARGET_MS:.0f} ms: **{verdict}**.",
        f"Whole deploy call (filter + appending the updates): median "
        f"{statistics.median(all_server):.1f} ms, p95 {p95(all_server):.1f} ms, max "
        f"{max(all_server):.1f} ms.",
        "",
        "### (b) full devices_details scan",
        "",
        f"- {scan['pages']} pages of {PAGE}, {scan['devices']:,} distinct devices "
        f"(expected {devices:,}), {scan['duplicates']} duplicates, {scan['seconds']:.1f} s "
        f"({scan['seconds'] / scan['pages'] * 1000:.0f} ms per page, updates included).",
        "",
        "### (c) resident memory of the simulator process (VmRSS)",
        "",
        f"- after generating the fleet: {rss['start']:.0f} MB",
        f"- after {len(all_filter)} deploys and the scan: {rss['end']:.0f} MB",
        f"- target ≤ {RSS_TARGET_MB:.0f} MB: **"
        f"{'met' if max(rss.values()) <= RSS_TARGET_MB else 'NOT met'}**",
        "",
    ]
    return "\n".join(lines)


def _date_u() -> str:
    result = subprocess.run(["date", "-u"], capture_output=True, text=True, check=False)
    return result.stdout.strip()


def append_report(text: str) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    if not REPORT.exists():
        REPORT.write_text("# Benchmarks\n\n")
    with REPORT.open("a") as handle:
        handle.write("\n" + text.strip("\n") + "\n")  # a blank line before each section


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from upswift_simulator.testing import running_simulator

    started = time.perf_counter()
    with running_simulator(devices=args.devices, seed=7, failure_rate=0.05) as sim:
        startup = time.perf_counter() - started
        rss = {"start": rss_mb(sim.pid)}
        rows = run_deploys(sim)
        scan = full_scan(sim)
        rss["end"] = rss_mb(sim.pid)
    text = report(args.devices, startup, rss, rows, scan)
    print(text)
    if not args.no_write:
        append_report(text)
        print(f"Appended to {REPORT.relative_to(ROOT)}")
    ok = (
        max(ms for row in rows for ms in row["filter_all"]) <= FILTER_TARGET_MS
        and max(rss.values()) <= RSS_TARGET_MB
        and scan["devices"] == args.devices
        and scan["duplicates"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
