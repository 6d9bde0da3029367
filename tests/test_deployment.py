"""docker-compose.yml is valid and wires the services the way the README says."""

import json
import os
import subprocess
import time
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


def compose_config(tmp_path, env: str) -> dict:
    import yaml

    env_file = tmp_path / "compose.env"
    env_file.write_text(env)
    given = {line.split("=", 1)[0] for line in env.splitlines()}
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "--env-file", str(env_file)]
        + ["--profile", "demo", "config"],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if k not in given},  # only env_file counts
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


REAL_TOKEN = "real-upswift-token-5d1c"


def test_every_published_port_is_on_loopback_only(tmp_path):
    """The console trusts X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) and the simulator's
    /_sim controls need no login: neither may be reachable from other machines."""
    services = compose_config(
        tmp_path, f"SECRET_KEY=s-long-enough\nUPSWIFT_USER_TOKEN={REAL_TOKEN}\n"
    )

    published = {
        name: [port if isinstance(port, str) else port.get("host_ip") for port in s["ports"]]
        for name, s in services.items()
        if s.get("ports")
    }
    assert set(published) == {"web", "simulator"}
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), (name, port)
    assert services["web"]["environment"]["SECURE_PROXY_SSL_HEADER"] == "true"


def test_the_demo_simulator_never_gets_the_real_upswift_token(tmp_path):
    services = compose_config(
        tmp_path, f"SECRET_KEY=s-long-enough\nUPSWIFT_USER_TOKEN={REAL_TOKEN}\n"
    )

    simulator = services["simulator"]
    assert REAL_TOKEN not in json.dumps(simulator)
    assert simulator["command"][simulator["command"].index("--token") + 1] == "sim-demo-token"
    assert REAL_TOKEN in json.dumps(services["worker"])  # the console itself does get it


# --- gunicorn's control socket, and `make run` ------------------------------------------------


def gunicorn_config(cwd: Path, **env: str) -> dict[str, str]:
    result = subprocess.run(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "--print-config", "upswift_console.wsgi"],
        cwd=cwd,
        env={**os.environ, "ENV_FILE": "/dev/null", "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_gunicorns_control_socket_is_the_checkouts_own():
    """gunicorn's default is one per user (~/.gunicorn/gunicorn.ctl), shared by every console
    that user runs on the host; each console keeps its own in its var/ folder."""
    config = gunicorn_config(BASE_DIR, GUNICORN_CONTROL_SOCKET="")

    assert config["control_socket"] == str(BASE_DIR / "var" / "gunicorn.ctl")


def test_a_running_gunicorn_opens_the_configured_socket(tmp_path):
    socket = tmp_path / "console-a.ctl"
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "upswift_console.wsgi"]
        + ["--bind", "127.0.0.1:0", "--workers", "1"],
        cwd=BASE_DIR,
        env={**os.environ, "ENV_FILE": "/dev/null", "DEBUG": "true"}
        | {"GUNICORN_CONTROL_SOCKET": str(socket)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not socket.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert socket.is_socket(), process.stderr.read1().decode() if process.poll() else ""
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_make_run_prints_the_url_of_the_port_it_serves():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "demo_setup --url http://127.0.0.1:8123/" in result.stdout
    assert "PORT=8123" in result.stdout
    assert (
        "SITE_URL=${SITE_URL:-http://127.0.0.1:8123}" in result.stdout
    )  # links in notifications, too
