"""What a call can fail with. Builders raise `InvalidRequest` (nothing was sent); the client
raises an `UpswiftError` subclass whose `retryable` says whether sending again can help."""

from __future__ import annotations

from typing import Any


class InvalidRequest(ValueError):
    """Raised by a builder, before anything is sent; the message starts with the bad field."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidFilter(InvalidRequest):
    """A bad devices filter: project, a group, or one of the filters."""


class UpswiftError(Exception):
    """A call that failed. The message, like every attribute, never holds the user token."""

    retryable: bool = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        duration_ms: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.duration_ms = duration_ms
        if retryable is not None:
            self.retryable = retryable


class RateLimited(UpswiftError):
    """HTTP 429. `retry_after` is the server's Retry-After in seconds, when it sent one."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Rejected(UpswiftError):
    """A 4xx answer (400 bad request, 401/403 token, 404): sending it again will not help."""

    retryable = False

    def __init__(self, message: str, *, error_message: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error_message = error_message

    @property
    def token_rejected(self) -> bool:
        """The account token was refused: 401/403, or Upswift's usual 400 naming the token."""
        return self.status in (401, 403) or "token" in self.error_message.lower()


class Transient(UpswiftError):
    """5xx or 408, timeout, connection error, or an answer that is not the JSON we expect.

    `outcome_unknown` is true when the request may have been carried out but its answer was
    lost (a read timeout, a connection dropped mid-answer, a 2xx with a broken body): such a
    call must be checked before it is sent again."""

    retryable = True

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown
