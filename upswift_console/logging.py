"""A logging filter that keeps secrets out of every log line, tracebacks included."""

import logging

from upswift.requests import REDACTED

_formatter = logging.Formatter()


# Every setting that holds a secret (each one settings.py reads with env_secret; EMAIL_URL's
# password lands in EMAIL_HOST_PASSWORD). tests/upswift_console/test_logging.py fails when a new
# env_secret is not listed here.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "UPSWIFT_USER_TOKEN",
    "OIDC_RP_CLIENT_SECRET",
    "METRICS_TOKEN",
    "EMAIL_HOST_PASSWORD",
)


def _secrets() -> list[str]:
    from django.conf import settings

    values = {str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS}
    # The longest first, so a secret that contains another is replaced whole.
    return sorted((v for v in values if v), key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class RedactSecretsFilter(logging.Filter):
    """Replace every secret setting (SECRET_SETTINGS: the Upswift user token, the OIDC client
    secret, the metrics token, the SMTP password, the secret key) in a record: its message, and
    the traceback of an exception logged with it (the exception's text and each frame's
    source line), and a stack logged with `stack_info`.

    The traceback is rendered here, scrubbed, and kept as the record's `exc_text`, which a
    formatter prints as it is; `exc_info` is dropped, so nothing renders the raw one again."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _secrets()
        if not secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in secrets):
            record.msg, record.args = _scrub(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text = _scrub(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = _scrub(record.stack_info, secrets)
        return True


def logging_config(*, level: str) -> dict:
    """Everything to stdout through RedactSecretsFilter."""
    return {
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
        "root": {"handlers": ["console"], "level": level},
        # Apprise logs its URLs (chat credentials): its messages are kept per delivery try,
        # redacted, and never printed.
        "loggers": {"apprise": {"handlers": ["discard"], "level": "WARNING", "propagate": False}},
    }
