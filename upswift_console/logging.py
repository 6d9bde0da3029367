"""A logging filter that keeps secrets out of every log line."""

import logging

from upswift.requests import REDACTED


class RedactSecretsFilter(logging.Filter):
    """Replace the Upswift user token (and any other configured secret) in a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.conf import settings

        secrets = [s for s in (getattr(settings, "UPSWIFT_USER_TOKEN", ""),) if s]
        if not secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in secrets):
            for secret in secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        return True
