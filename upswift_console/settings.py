"""Settings for Upswift Console.

Everything that differs between machines comes from the environment (see `.env.example`).
A `.env` file at the top of the checkout is read when present; `make run` writes one for a
laptop. Secrets may also be given as files: `SECRET_KEY_FILE`, `UPSWIFT_USER_TOKEN_FILE`.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import schedule
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from upswift_console import api_settings
from upswift_console.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# ENV_FILE points elsewhere (or at /dev/null to read none); variables already set win.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))


def env_secret(name: str, default: str = "") -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from exc
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set SECRET_KEY (or SECRET_KEY_FILE) "
            "to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    # A laptop without a .env: a key for this process only (sessions end on restart).
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "rollouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "upswift_console.middleware.RequireContentLength",  # before anything reads a body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "upswift_console.middleware.NeutraliseBidiControls",
    "csp.middleware.CSPMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "upswift_console.middleware.SessionLifetime",
    "rollouts.middleware.PageTimezoneMiddleware",  # pages in the viewer's zone; API in UTC
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into its page
]

ROOT_URLCONF = "upswift_console.urls"
WSGI_APPLICATION = "upswift_console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rollouts.context_processors.banners",
            ],
        },
    },
]

# --- Database: PostgreSQL in production and CI, a SQLite file on a laptop -------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file. WAL lets readers go on while one process writes;
    # a writer waits up to `timeout` seconds for the lock; IMMEDIATE takes the write lock when
    # a transaction begins, so two read-then-write transactions queue up instead of one failing
    # with "database is locked" (a deferred one cannot wait to upgrade its lock).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=20.0),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    _sqlite_file = DATABASES["default"]["NAME"]  # SQLite makes its file, not its folder (var/)
    if _sqlite_file not in ("", ":memory:"):
        Path(_sqlite_file).parent.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis in production (it also holds the shared API rate-limit budget) ------------
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="upswift-console")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in throttling (django-axes) ------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is
# refused for the cool-off, right password or not. Per pair: a guesser elsewhere cannot lock
# a person out, nor one person a shared office address. An address with
# AXES_ADDRESS_FAILURE_LIMIT wrong passwords for any usernames is refused as a whole
# (upswift_console/signin.py). Behind a reverse proxy, list it in TRUSTED_PROXIES (addresses
# or networks): the client's address is then read from X-Forwarded-For, which is ignored
# otherwise (upswift_console/proxies.py; the API's address limit and the /metrics allow-list
# use the same address). API bearer tokens never go through authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before checking
    "django.contrib.auth.backends.ModelBackend",
    "rollouts.sso.ConsoleOIDCBackend",  # single sign-on; does nothing until OIDC_RP_CLIENT_ID
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "upswift_console.signin.ConsoleAxesHandler"
AXES_CLIENT_IP_CALLABLE = "upswift_console.proxies.client_address"
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on: OpenID Connect (README "Single sign-on"), on when OIDC_RP_CLIENT_ID is set
# mozilla-django-oidc reads these; rollouts/sso.py maps the role claim to the console's roles.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env_secret("OIDC_RP_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="groups")
OIDC_ROLE_MAP = env.str("OIDC_ROLE_MAP", default="")  # "claim-value=Role name,..."
OIDC_DEFAULT_ROLE = env.str("OIDC_DEFAULT_ROLE", default="Viewer")  # empty: refuse unmapped

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security: safe by default once DEBUG is off -------------------------------------------
# Trust `X-Forwarded-Proto: https` only when a TLS proxy in front sets it (and strips a
# client's own): anyone reaching the console directly could otherwise claim HTTPS.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions end after SESSION_IDLE_MINUTES without a request of the person's own, and
# SESSION_MAX_HOURS after signing in (upswift_console/middleware.py, SessionLifetime).
SESSION_IDLE_SECONDS = env.float("SESSION_IDLE_MINUTES", default=30.0) * 60
SESSION_MAX_SECONDS = env.float("SESSION_MAX_HOURS", default=12.0) * 3600
SESSION_COOKIE_AGE = int(SESSION_MAX_SECONDS)
# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this site only.
# No inline script or event handler runs (behaviour lives in static/js/); style attributes are
# allowed (bar widths), <style> elements are not: htmx's own is turned off in base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Upswift API -----------------------------------------------------------------------------
UPSWIFT_API_URL = env.str("UPSWIFT_API_URL", default="https://api.upswift.io/v1")
UPSWIFT_USER_TOKEN = env_secret("UPSWIFT_USER_TOKEN")
# The account-level limit is not published: stay well under it, shared by every worker.
UPSWIFT_CALLS_PER_MINUTE = env.int("UPSWIFT_CALLS_PER_MINUTE", default=60)
UPSWIFT_TIMEOUT_SECONDS = env.float("UPSWIFT_TIMEOUT_SECONDS", default=20.0)
UPSWIFT_PAGE_SIZE = env.int("UPSWIFT_PAGE_SIZE", default=100)
# The fleet inventory (rollouts/engine/inventory.py): a project's devices are read again when
# its last whole read is older than FLEET_MAX_AGE_SECONDS; the read never takes more than
# FLEET_BUDGET_SHARE of a minute's calls, so rollouts' own reads always have the rest.
# FLEET_PROJECTS: projects to read besides those named by plans and rollouts (comma-separated).
FLEET_REFRESH_SECONDS = env.float("FLEET_REFRESH_SECONDS", default=60.0)
FLEET_MAX_AGE_SECONDS = env.float("FLEET_MAX_AGE_SECONDS", default=900.0)
FLEET_BUDGET_SHARE = env.float("FLEET_BUDGET_SHARE", default=0.5)
FLEET_PROJECTS = env.list("FLEET_PROJECTS", default=[])
# How often an open stage's progress is read back, and how often beat reconciles.
ROLLOUT_POLL_SECONDS = env.float("ROLLOUT_POLL_SECONDS", default=10.0)
ROLLOUT_RECONCILE_SECONDS = env.float("ROLLOUT_RECONCILE_SECONDS", default=5.0)
# Adaptive read-back (rollouts/engine/read_schedule.py): between ROLLOUT_POLL_SECONDS / 2 and
# 3 x ROLLOUT_POLL_SECONDS, by how fast the stage nears its threshold; off = every interval.
ROLLOUT_ADAPTIVE_READS = env.bool("ROLLOUT_ADAPTIVE_READS", default=True)
# A device the deploy missed (offline, or mid-update) is swept at most this often.
ROLLOUT_SWEEP_SECONDS = env.float("ROLLOUT_SWEEP_SECONDS", default=120.0)
# Transient API errors: exponential backoff with jitter, capped; then the rollout pauses.
ROLLOUT_RETRY_BASE_SECONDS = env.float("ROLLOUT_RETRY_BASE_SECONDS", default=2.0)
ROLLOUT_RETRY_MAX_SECONDS = env.float("ROLLOUT_RETRY_MAX_SECONDS", default=120.0)
ROLLOUT_MAX_ATTEMPTS = env.int("ROLLOUT_MAX_ATTEMPTS", default=8)
# A time unit for soak and deadline minutes (seconds per minute); only demos and tests shorten it.
ROLLOUT_SOAK_MINUTE_SECONDS = env.float("ROLLOUT_SOAK_MINUTE_SECONDS", default=60.0)
# A deploy whose answer was lost: wait this long for it to show on devices, read back, and after
# this many read-backs without its marker ask a person (send again, or it was sent).
ROLLOUT_SETTLE_SECONDS = env.float("ROLLOUT_SETTLE_SECONDS", default=30.0)
ROLLOUT_UNKNOWN_CHECKS = env.int("ROLLOUT_UNKNOWN_CHECKS", default=3)
# The hard limit of one engine step (a Celery task). A worker holds a rollout's lease this long
# at most, and a call still `sending` after it belongs to a worker that is gone.
ROLLOUT_STEP_TIME_LIMIT = env.int("ROLLOUT_STEP_TIME_LIMIT", default=150)
# Four-eyes for every rollout, whatever its plan says: the person who starts a rollout never
# approves one of its stages. Only whoever deploys the console can switch it off.
ROLLOUT_FOUR_EYES = env.bool("ROLLOUT_FOUR_EYES", default=False)

# --- Notifications: webhooks, email, chat through Apprise (README "Notifications") -----------
# The console's address, for the links in messages.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Deliveries run on their own Celery queue, so a slow receiver never holds up the engine.
NOTIFY_QUEUE = env.str("CELERY_NOTIFY_QUEUE", default="notifications")
NOTIFY_TIMEOUT_SECONDS = env.float("NOTIFY_TIMEOUT_SECONDS", default=5.0)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=10.0)
NOTIFY_RETRY_MAX_SECONDS = env.float("NOTIFY_RETRY_MAX_SECONDS", default=900.0)
# Tell people when no worker has sent a heartbeat for this many minutes.
NOTIFY_HEARTBEAT_MINUTES = env.float("NOTIFY_HEARTBEAT_MINUTES", default=5.0)
# Email: EMAIL_URL (smtp+tls://user:password@host:587, or EMAIL_URL_FILE), or EMAIL_HOST,
# EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD(_FILE), EMAIL_USE_TLS, EMAIL_USE_SSL.
# Neither: printed to the console when DEBUG is on (make run), else SMTP on localhost:25.
_email_url = env_secret("EMAIL_URL")
if _email_url:
    globals().update(
        {k: v for k, v in environ.Env.email_url_config(_email_url).items() if v is not None}
    )
elif env.str("EMAIL_HOST", default=""):
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = NOTIFY_TIMEOUT_SECONDS
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Upswift Console <console@localhost>")

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server and works across processes on one machine.
    # The folders are made when the Celery app loads this (upswift_console/celery.py), not
    # here: importing the settings writes nothing.
    _broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="upswift-console")
CELERY_TASK_ACKS_LATE = True  # every task is safe to repeat; see rollouts/tasks.py
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = max(int(ROLLOUT_STEP_TIME_LIMIT * 0.8), ROLLOUT_STEP_TIME_LIMIT - 30)
CELERY_TASK_TIME_LIMIT = ROLLOUT_STEP_TIME_LIMIT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_IMPORTS = ("rollouts.notification_tasks",)
CELERY_TASK_ROUTES = {"rollouts.notification_tasks.*": {"queue": NOTIFY_QUEUE}}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE = {
    "rollouts-reconcile": {
        "task": "rollouts.tasks.rollouts_reconcile",
        "schedule": schedule(ROLLOUT_RECONCILE_SECONDS),
        "options": {"expires": ROLLOUT_RECONCILE_SECONDS * 2},
    },
    "fleet-refresh": {
        "task": "rollouts.tasks.fleet_refresh",
        "schedule": schedule(FLEET_REFRESH_SECONDS),
        "options": {"expires": FLEET_REFRESH_SECONDS},
    },
    "worker-heartbeat": {
        "task": "rollouts.tasks.worker_heartbeat",
        "schedule": schedule(30.0),
        "options": {"expires": 25},
    },
    "notify-heartbeat-check": {
        "task": "rollouts.notification_tasks.notify_heartbeat_check",
        "schedule": schedule(60.0),
        "options": {"expires": 55},
    },
    "notify-deliveries-reconcile": {
        "task": "rollouts.notification_tasks.deliveries_reconcile",
        "schedule": schedule(60.0),
        "options": {"expires": 55},
    },
}

# --- Prometheus metrics (/metrics, README "Metrics"): off (404) until one of these is set ---
# A scraper sends `Authorization: Bearer <METRICS_TOKEN>`, or connects from an address in
# METRICS_ALLOWED_IPS (comma-separated addresses or networks, e.g. 10.0.0.0/8; behind a proxy
# listed in TRUSTED_PROXIES, the client's forwarded address).
METRICS_TOKEN = env_secret("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from exc

# --- REST API for CI/CD pipelines (/api/v1/): upswift_console/api_settings.py --------------
# Throttled per bearer token and per client address (429 + Retry-After); the address is the one
# sign-in throttling counts (TRUSTED_PROXIES).
REST_FRAMEWORK = api_settings.rest_framework(
    token_rate=env.str("API_RATE_PER_TOKEN", default="600/minute"),
    address_rate=env.str("API_RATE_PER_ADDRESS", default="1200/minute"),
)
# The schema and the docs pages need a signed-in person or an API token (rollouts/api/docs.py).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS = api_settings.spectacular(site_url=SITE_URL)

# --- Logging: to stdout, with secrets scrubbed from every record (upswift_console/logging.py)
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"))
