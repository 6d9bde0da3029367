"""Every benchmark at a small size, one after the other, in a few minutes: `make bench`.

    .venv/bin/python bench/run_all.py [--write]

Each script prints its own report (nothing is appended to docs/benchmarks.md unless
`--write`); the end is a table of each one's exit status and wall time. A script exits 1 when
it crashed or when a figure misses its target, so read its report above the table. Needs the
PostgreSQL (`postgres` user) and Redis on 127.0.0.1, like the test suite; the full-size runs are
each script's defaults (see the commands in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SMALL = [
    ("simulator", ["bench_simulator.py", "--devices", "5000"]),
    ("progress poll", ["bench_poll_100k.py", "--devices", "5000", "--db", "bench_poll_small"]),
    (
        "pages",
        ["bench_pages.py", "--rollouts", "100", "--requests", "20", "--db", "bench_pages_small"],
    ),
    (
        "approve latency",
        ["bench_approve_latency.py", "--approvals", "12", "--fallback", "3", "--devices", "200"],
    ),
    ("end to end", ["bench_end_to_end.py", "--devices", "300"]),
    ("fleet inventory", ["bench_fleet.py", "--devices", "5000", "--db", "bench_fleet_small"]),
    (
        "live pages under load",
        ["bench_live_load.py", "--pages", "40", "--seconds", "20", "--history", "100"],
    ),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    rows = []
    for name, command in SMALL:
        script = ROOT / "bench" / command[0]
        if not script.exists():
            rows.append((name, "missing", 0.0))
            continue
        argv = [sys.executable, str(script), *command[1:]]
        if not args.write:
            argv.append("--no-write")
        print(f"\n=== {name}: {' '.join(['bench/' + command[0], *command[1:]])}", flush=True)
        started = time.monotonic()
        code = subprocess.run(argv, cwd=ROOT, check=False).returncode
        rows.append((name, str(code), time.monotonic() - started))
    print("\n| bench | exit | seconds |\n|---|---:|---:|")
    for name, code, seconds in rows:
        print(f"| {name} | {code} | {seconds:.0f} |")
    print(f"\nTotal: {sum(s for _, _, s in rows):.0f} s")
    return 0 if all(code == "0" for _, code, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
