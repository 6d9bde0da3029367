"""docker-compose.yml is valid and wires the services the way the README says."""

import os
import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def compose(*args: str, env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "--env-file", str(env_file), *args],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "SECRET_KEY"},  # only env_file counts
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid_and_lists_the_services(tmp_path):
    env_file = tmp_path / "compose.env"
    env_file.write_text("SECRET_KEY=a-test-secret-that-is-long-enough\n")

    assert compose("config", "-q", env_file=env_file).returncode == 0
    services = compose("config", "--services", env_file=env_file).stdout.split()
    assert {"web", "worker", "beat", "migrate", "postgres", "redis"} <= set(services)


def test_compose_refuses_to_run_without_a_secret_key(tmp_path):
    env_file = tmp_path / "empty.env"
    env_file.write_text("")

    result = compose("config", "-q", env_file=env_file)

    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr
