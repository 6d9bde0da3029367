"""Production settings: `check --deploy` is clean, and a missing SECRET_KEY stops the start."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "ENV_FILE": "/dev/null",
    "DEBUG": "false",
    "SECRET_KEY": "x7Qm2vR9kL4pT8wZ1nB6cH3jF5sD0gA2yE7uI9oP4rK6tM1vX8zQ3bN5cV7hJ2lW",
    "ALLOWED_HOSTS": "console.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://console.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SECRET_KEY"))}
    base = {k: v for k, v in base.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(PRODUCTION_ENV["SECRET_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = manage("check", "--deploy", env={**env, "SECRET_KEY_FILE": str(secret_file)})

    assert result.returncode == 0, result.stdout + result.stderr


def test_unreadable_secret_file_is_a_clear_error(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = manage("check", env={**env, "SECRET_KEY_FILE": str(tmp_path / "missing")})

    assert result.returncode != 0
    assert "SECRET_KEY_FILE=" in result.stderr and "cannot be read" in result.stderr


def test_static_files_collect_with_the_production_storage(tmp_path):
    env = {**PRODUCTION_ENV, "STATIC_ROOT": str(tmp_path)}

    result = manage("collectstatic", "--noinput", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert '"css/console.css"' in manifest
    assert "vendor/htmx" in manifest
