"""The command line: banner line, tokens, rate limit flag, argument errors."""

from __future__ import annotations

import re
import subprocess
import sys

from upswift_simulator.testing import PACKAGE_PARENT, running_simulator

BANNER = re.compile(
    r"^Upswift simulator on http://127\.0\.0\.1:(\d+)/v1 token=alpha,beta devices=40 seed=3$"
)


def test_banner_tokens_and_rate_limit_flag() -> None:
    with running_simulator(devices=40, seed=3, tokens=["alpha", "beta"], rate_limit=2) as sim:
        banner = sim.output().splitlines()[0]
        body = {"device_token": "d-4ec7-1be9"}
        with_beta = [sim.api("GET", "get_device_state", body, token="beta") for _ in range(3)]
        demo_token = sim.api("GET", "get_device_state", body, token="sim-demo-token")

    match = BANNER.match(banner)
    assert match and int(match.group(1)) > 0
    assert sim.token == "alpha"
    assert [r.status_code for r in with_beta] == [200, 200, 429]
    assert demo_token.status_code == 400
    assert demo_token.json() == {"error_message": "user_token is invalid"}
    assert sim.process.poll() is not None  # stopped on exit


def test_bad_arguments_exit_with_usage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "upswift_simulator", "--devices", "0", "--port", "0"],
        capture_output=True,
        text=True,
        cwd=PACKAGE_PARENT,
        timeout=30,
    )

    assert result.returncode == 2
    assert "--devices must be at least 1" in result.stderr
