"""The log filter keeps every secret setting (the Upswift token, the OIDC client secret, the
metrics token, the SMTP password, the secret key) out of every line that reaches the console
handler: messages, tracebacks and stacks."""

import io
import logging
import re

import pytest

from tests.test_settings import BASE_DIR
from upswift_console.logging import SECRET_SETTINGS, RedactSecretsFilter

TOKEN = "tok-very-secret-4f1b"


@pytest.fixture
def output(settings):
    """A logger whose handler has the console's filter and formatter, writing to a buffer."""
    settings.UPSWIFT_USER_TOKEN = TOKEN
    settings.EMAIL_HOST_PASSWORD = "smtp-pass-77e0"
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("tests.scrubber")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, buffer
    logger.removeHandler(handler)


def failing_call(token: str) -> None:
    url = f"https://api.upswift.io/v1/deploy?user_token={token}"
    raise ConnectionError(f"cannot reach {url}")


def test_a_logged_exception_has_its_text_and_frames_scrubbed(output):
    logger, buffer = output
    try:
        failing_call(TOKEN)  # the frame's source line names no secret; its message does
    except ConnectionError:
        logger.exception("deploy failed with %s", "smtp-pass-77e0")

    text = buffer.getvalue()
    assert "Traceback (most recent call last)" in text
    assert "ConnectionError: cannot reach https://api.upswift.io/v1/deploy?user_token=***" in text
    assert "deploy failed with ***" in text
    assert TOKEN not in text and "smtp-pass-77e0" not in text


def test_a_secret_in_a_frames_source_line_is_scrubbed(output):
    logger, buffer = output
    try:
        raise ValueError("tok-very-secret-4f1b")  # this very line is shown in the traceback
    except ValueError:
        logger.error("oops", exc_info=True)

    text = buffer.getvalue()
    assert 'raise ValueError("***")' in text
    assert TOKEN not in text


def test_a_logged_stack_is_scrubbed(output):
    logger, buffer = output
    logger.warning("where am I", stack_info=True, extra={"t": "tok-very-secret-4f1b"})

    text = buffer.getvalue()
    assert "Stack (most recent call last)" in text
    assert 'extra={"t": "***"}' in text and TOKEN not in text


SECRETS = {
    "SECRET_KEY": "django-key-9d1c0e7a5b3f",
    "OIDC_RP_CLIENT_SECRET": "oidc-client-secret-51aa",
    "METRICS_TOKEN": "metrics-token-c0ffee42",
    "EMAIL_HOST_PASSWORD": "smtp-pass-77e0",
    "UPSWIFT_USER_TOKEN": TOKEN,
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_secret_setting_is_scrubbed_from_messages_and_tracebacks(output, settings, name):
    logger, buffer = output
    setattr(settings, name, SECRETS[name])
    try:
        raise RuntimeError(f"the provider answered 401 for {SECRETS[name]}")
    except RuntimeError:
        logger.exception("signing in with %s failed", SECRETS[name])

    text = buffer.getvalue()
    assert "signing in with *** failed" in text
    assert "RuntimeError: the provider answered 401 for ***" in text
    assert SECRETS[name] not in text


def test_a_secret_containing_another_is_scrubbed_whole(output, settings):
    logger, buffer = output
    settings.METRICS_TOKEN = "abc-123"
    settings.OIDC_RP_CLIENT_SECRET = "zz-abc-123-zz"

    logger.warning("secret %s", "zz-abc-123-zz")

    assert buffer.getvalue().strip().endswith("secret ***")


def test_every_secret_the_settings_read_is_scrubbed():
    """A secret added to settings.py with env_secret() must be added to SECRET_SETTINGS too
    (EMAIL_URL's password is EMAIL_HOST_PASSWORD once read)."""
    source = (BASE_DIR / "upswift_console" / "settings.py").read_text()
    assignments = dict(re.findall(r'^\s*(\w+) = env_secret\("(\w+)"', source, re.MULTILINE))
    read = set(assignments) - {"_email_url"}

    assert {"SECRET_KEY", "OIDC_RP_CLIENT_SECRET", "METRICS_TOKEN"} <= read
    assert "_email_url" in assignments and "EMAIL_HOST_PASSWORD" in SECRET_SETTINGS
    assert read - set(SECRET_SETTINGS) == set()


def test_records_without_a_secret_pass_unchanged(settings):
    for name in set(SECRET_SETTINGS) - {"SECRET_KEY"}:  # Django refuses an empty SECRET_KEY
        setattr(settings, name, "")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "plain %s", ("text",), None)

    assert RedactSecretsFilter().filter(record) is True
    assert record.getMessage() == "plain text"
