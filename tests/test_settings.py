"""Production settings: `check --deploy` is clean, and a missing SECRET_KEY stops the start."""

import os
import re
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


def manage(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SECRET_KEY"))}
    base = {k: v for k, v in base.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


LAPTOP_ENV = {"ENV_FILE": "/dev/null", "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}


def test_check_shows_no_warning_of_our_settings():
    """Plain `check` (what runserver and every manage.py command run) on a laptop and in
    production, behind proxies too: no warning at all, axes' W005 (a callable setting that
    does not import) included."""
    behind_proxies = {**PRODUCTION_ENV, "TRUSTED_PROXIES": "10.0.0.0/8"}
    for env in (LAPTOP_ENV, PRODUCTION_ENV, behind_proxies):
        result = manage("check", "--fail-level", "WARNING", env=env)

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)" in result.stdout
        assert "axes.W" not in result.stdout + result.stderr


def test_axes_callable_settings_import(settings):
    """What axes.W005 checks, in this process: each callable setting imports (a dotted path
    axes calls with the request alone)."""
    from axes.checks import axes_conf_check, is_valid_callable

    assert settings.AXES_CLIENT_IP_CALLABLE == "upswift_console.proxies.client_address"
    assert is_valid_callable(settings.AXES_CLIENT_IP_CALLABLE)
    assert axes_conf_check(None) == []


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

    # Compressing every file (the API docs' bundles are large) takes 45 s on a busy 2-core box.
    result = manage("collectstatic", "--noinput", env=env, timeout=240)

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert '"css/console.css"' in manifest
    assert "vendor/htmx" in manifest


def settings_value(expression: str, env: dict) -> str:
    """Evaluate `expression` in a fresh process that imports the settings (nothing else)."""
    code = (
        "import os, pathlib; os.environ['DJANGO_SETTINGS_MODULE'] = 'upswift_console.settings'\n"
        "from django.conf import settings; settings.INSTALLED_APPS\n"
        f"print({expression})"
    )
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_the_settings_creates_no_broker_folder(tmp_path):
    broker = tmp_path / "broker"
    env = {**PRODUCTION_ENV, "CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(broker)}

    assert settings_value(f"pathlib.Path({str(broker)!r}).exists()", env) == "False"
    sent = "__import__('upswift_console.celery').celery.app.send_task('ping').id and "
    folders = f"sorted(p.name for p in pathlib.Path({str(broker)!r}).iterdir())"
    assert settings_value(sent + folders, env) == "['control', 'queue']"
    assert len(list((broker / "queue").iterdir())) == 1  # the message, in its folder


def test_a_sqlite_database_in_a_folder_not_made_yet_can_be_created(tmp_path):
    """A fresh checkout has no var/: `make run`'s first migrate must still open the file."""
    folder = tmp_path / "fresh" / "var"
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}"}

    assert settings_value(f"pathlib.Path({str(folder)!r}).is_dir()", env) == "True"


def test_x_forwarded_proto_is_trusted_only_when_asked(tmp_path):
    expression = "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)"

    assert settings_value(expression, PRODUCTION_ENV) == "None"
    trusted = settings_value(expression, {**PRODUCTION_ENV, "SECURE_PROXY_SSL_HEADER": "true"})
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_malformed_trusted_proxy_stops_the_start():
    result = manage("check", env={**PRODUCTION_ENV, "TRUSTED_PROXIES": "10.0.0.0/8,not-a-net"})

    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr and "not-a-net" in result.stderr


def env_variables_read_by_the_settings() -> set[str]:
    source = (BASE_DIR / "upswift_console" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', source))
    return names | set(re.findall(r'env_secret\(\s*"([A-Z][A-Z0-9_]*)"', source))


def readme_configuration() -> tuple[str, list[str]]:
    """The README's Configuration section, and the names in its table's first column, row by
    row (`_FILE` written alone is the row's secret as a file)."""
    readme = (BASE_DIR / "README.md").read_text()
    section = readme[readme.index("## Configuration") :]
    section = section[: section.index("\n## ")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = [n for r in rows for n in re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", r.split("|")[1])]
    return section, names


def test_the_readme_table_lists_each_variable_once_and_only_those_read():
    _, names = readme_configuration()
    read = env_variables_read_by_the_settings()
    files = {f"{name}_FILE" for name in read}

    assert sorted(n for n in set(names) if names.count(n) > 1) == []
    assert {n for n in names if not n.endswith("*")} - read - files == set()
    assert "API_NUM_PROXIES" not in names and "API_NUM_PROXIES" not in read


def test_the_readme_table_lists_every_variable_the_settings_read():
    section, names = readme_configuration()
    listed = set(names)
    wildcards = [name[:-1] for name in listed if name.endswith("*")]

    read = env_variables_read_by_the_settings()
    missing = {n for n in read if n not in listed and not n.startswith(tuple(wildcards))}

    assert len(read) > 60  # the pattern still finds the settings' reads
    assert {"ENV_FILE", "CELERY_BROKER_DIR", "STATIC_ROOT", "CACHE_KEY_PREFIX"} <= read
    assert missing == set()
    assert "`.env`" in section and "ENV_FILE" in section  # and how .env is picked up
