"""Settings for Upswift Console.

Everything that differs between machines comes from the environment (see `.env.example`).
A `.env` file at the top of the checkout is read when present; `make run` writes one for a
laptop. Secrets may also be given as files: `SECRET_KEY_FILE`, `UPSWIFT_USER_TOKEN_FILE`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import schedule
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

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
    "rollouts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
    # Web, worker and beat share the file: wait for locks instead of failing, and keep the
    # test database in a file too, so test-started workers can open it.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
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
# a person out, nor one person a shared office address (behind a proxy REMOTE_ADDR is the
# proxy's, so the limit is then per username). API bearer tokens never go through
# authenticate(): pipelines are not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before checking
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

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
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Upswift API -----------------------------------------------------------------------------
UPSWIFT_API_URL = env.str("UPSWIFT_API_URL", default="https://api.upswift.io/v1")
UPSWIFT_USER_TOKEN = env_secret("UPSWIFT_USER_TOKEN")
# The account-level limit is not published: stay well under it, shared by every worker.
UPSWIFT_CALLS_PER_MINUTE = env.int("UPSWIFT_CALLS_PER_MINUTE", default=60)
UPSWIFT_TIMEOUT_SECONDS = env.float("UPSWIFT_TIMEOUT_SECONDS", default=20.0)
UPSWIFT_PAGE_SIZE = env.int("UPSWIFT_PAGE_SIZE", default=100)
# How often an open stage's progress is read back, and how often beat reconciles.
ROLLOUT_POLL_SECONDS = env.float("ROLLOUT_POLL_SECONDS", default=10.0)
ROLLOUT_RECONCILE_SECONDS = env.float("ROLLOUT_RECONCILE_SECONDS", default=5.0)
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
    _broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
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

# --- REST API for CI/CD pipelines (/api/v1/): personal bearer tokens, JSON only ------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rollouts.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rollouts.api.permissions.ActionPermissions"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rollouts.api.parsers.JSONParser"],
    "DEFAULT_METADATA_CLASS": None,  # OPTIONS is a 405: no CORS, the schema describes the API
    "DEFAULT_PAGINATION_CLASS": "rollouts.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rollouts.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Upswift Console API",
    "DESCRIPTION": "Staged rollouts for CI/CD pipelines. Authenticate with "
    "`Authorization: Bearer <token>`; create a token at /account/tokens/.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RolloutStatusEnum": "rollouts.models.RolloutStatus",
        "StageStatusEnum": "rollouts.models.StageStatus",
        "EventKindEnum": "rollouts.models.EventKind",
        "CallKindEnum": "rollouts.models.CallKind",
        "WaitingKindEnum": "rollouts.engine.lifecycle.Awaiting",
        "PauseCauseEnum": "rollouts.models.PauseCause",
        "ActionEnum": "rollouts.engine.lifecycle.Action",
        "ChannelKindEnum": "rollouts.models.ChannelKind",
        "NotifyKindEnum": "rollouts.models.NotifyKind",
        "DeliveryStateEnum": "rollouts.models.DeliveryState",
    },
    # Swagger UI and Redoc from the drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: to stdout, with secrets scrubbed from every record ---------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "upswift_console.logging.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        "discard": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Apprise logs its URLs (chat credentials): its messages are kept per delivery try,
    # redacted, and never printed.
    "loggers": {"apprise": {"handlers": ["discard"], "level": "WARNING", "propagate": False}},
}
