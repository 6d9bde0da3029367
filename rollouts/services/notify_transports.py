"""Sending one message over one channel: a signed webhook, an email, or a chat service
through Apprise. Each returns an Outcome and raises nothing; every network wait has a timeout.

What is kept of a request (`Outcome.request`) never holds a secret: not the webhook's signing
secret, not the Apprise URL (its credentials), not an SMTP password.
"""

import hashlib
import hmac
import json
import re
import smtplib
import time
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from rollouts.models import Channel, ChannelKind, NotifyKind

TIMESTAMP_HEADER = "Upswift-Console-Timestamp"
SIGNATURE_HEADER = "Upswift-Console-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "Upswift-Console-Attempt"
USER_AGENT = "Upswift-Console-Notifications/1"
RESPONSE_KEEP = 1000  # characters of an answer kept with its try
REDACTED = "***"


@dataclass
class Outcome:
    ok: bool
    retryable: bool = True
    status_code: int | None = None
    error: str = ""
    response: str = ""
    request: dict = field(default_factory=dict)


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>` with the channel's secret, as hex."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send(*, channel: Channel, payload: dict, attempt: int) -> Outcome:
    if channel.kind == ChannelKind.WEBHOOK:
        return webhook_send(channel=channel, payload=payload, attempt=attempt)
    if channel.kind == ChannelKind.EMAIL:
        return email_send(channel=channel, payload=payload)
    if channel.kind == ChannelKind.APPRISE:
        return apprise_send(channel=channel, payload=payload)
    return Outcome(ok=False, retryable=False, error=f"Unknown channel kind {channel.kind!r}.")


def webhook_send(*, channel: Channel, payload: dict, attempt: int) -> Outcome:
    body = body_of(payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: "v1=" + signature(secret=channel.secret, timestamp=timestamp, body=body),
        IDEMPOTENCY_HEADER: payload["id"],
        ATTEMPT_HEADER: str(attempt),
    }
    kept = {"method": "POST", "url": channel.url, "headers": headers}
    timeout = settings.NOTIFY_TIMEOUT_SECONDS
    try:
        with requests.post(
            channel.url,
            data=body,
            headers=headers,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        ) as answer:
            text = _answer_text(answer)
    except requests.Timeout:
        return Outcome(ok=False, error=f"No answer within {timeout:g} s.", request=kept)
    except requests.RequestException as exc:
        return Outcome(ok=False, error=_short(f"{type(exc).__name__}: {exc}"), request=kept)
    code = answer.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code, response=text, request=kept)
    # A receiver that is down or busy may take it later; one that refuses it will not.
    retryable = code >= 500 or code in (408, 429)
    return Outcome(
        ok=False,
        retryable=retryable,
        status_code=code,
        error=f"The receiver answered HTTP {code}.",
        response=text,
        request=kept,
    )


def _answer_text(answer: requests.Response) -> str:
    """The first characters of the answer's body; a body that cannot be read is noted."""
    try:
        return answer.raw.read(RESPONSE_KEEP, decode_content=True).decode(errors="replace")
    except Exception as exc:  # a broken body after a status line: the status still counts
        return f"(the body could not be read: {type(exc).__name__})"


def email_send(*, channel: Channel, payload: dict) -> Outcome:
    kept = {"to": list(channel.recipients), "subject": _email_subject(payload)}
    message = EmailMessage(
        subject=kept["subject"],
        body=payload["text"],
        to=list(channel.recipients),
        headers={"X-Upswift-Console-Idempotency-Key": payload["id"]},
        connection=get_connection(fail_silently=False, timeout=settings.NOTIFY_TIMEOUT_SECONDS),
    )
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        return Outcome(ok=False, retryable=False, error=_short(f"Refused: {exc}"), request=kept)
    except (OSError, smtplib.SMTPException) as exc:  # timeouts and refused connections too
        return Outcome(ok=False, error=_short(f"{type(exc).__name__}: {exc}"), request=kept)
    return Outcome(ok=True, request=kept)


def _email_subject(payload: dict) -> str:
    return f"[Upswift Console] {payload['subject']}"[:200].replace("\n", " ")


# --- Apprise: Slack, Microsoft Teams, Discord, Mattermost, … through one URL per channel


def apprise_plugin(url: str):
    """Apprise's notifier for `url`, or None when Apprise does not understand it. Apprise's
    own log lines (which quote the URL) are kept out of the console's logs by settings."""
    import apprise

    if not isinstance(url, str) or "://" not in url:
        return None
    try:
        return apprise.Apprise.instantiate(url)
    except Exception:
        return None


def apprise_send(*, channel: Channel, payload: dict) -> Outcome:
    import apprise

    url = channel.apprise_url
    plugin = apprise_plugin(url)
    kept = {"service": _scheme(url)}
    if plugin is None:
        return Outcome(ok=False, retryable=False, error="Apprise does not understand the URL.")
    kept["service"] = str(getattr(plugin, "service_name", "") or kept["service"])
    timeout = settings.NOTIFY_TIMEOUT_SECONDS
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    notifier = apprise.Apprise()
    notifier.add(plugin)
    notify_type = {
        NotifyKind.COMPLETED: apprise.NotifyType.SUCCESS,
        NotifyKind.FAILED: apprise.NotifyType.FAILURE,
        NotifyKind.TEST: apprise.NotifyType.INFO,
        NotifyKind.APPROVAL_NEEDED: apprise.NotifyType.INFO,
        NotifyKind.FREEZE_ENDED: apprise.NotifyType.INFO,
    }.get(payload["kind"], apprise.NotifyType.WARNING)
    try:
        result = notifier.notify(
            body=payload["text"],
            title=payload["subject"],
            notify_type=notify_type,
            timeout=timeout * 3,
        )
        logs = [f"{entry.level}: {entry.message}" for entry in result.logs()]
        ok = bool(result)
    except Exception as exc:
        logs, ok = [f"{type(exc).__name__}: {exc}"], False
    error = "" if ok else redact("\n".join(logs) or "The service did not accept it.", url)
    return Outcome(ok=ok, error=_short(error), request=kept)


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else "?"


def redact(text: str, url: str) -> str:
    """`text` without the Apprise URL or any of its parts that may be a credential."""
    if not url:
        return text
    text = text.replace(url, REDACTED)
    rest = url.split("://", 1)[-1]
    for part in sorted(set(re.split(r"[/:@?&=#,;+]+", rest)), key=len, reverse=True):
        if len(part) >= 6:
            text = text.replace(part, REDACTED)
    return text


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
