"""Every API error is JSON: `{"detail": message, "code": code}`, and a 400 also names the
fields at fault: `{"field": "stages.2.tag", "errors": {"stages.2.tag": ["..."]}}`.

Fields inside lists are numbered from 1, as stage positions are (`stages.2.tag` is the second
stage's tag), so the API's field paths match the ones the plan service reports.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from rollouts.services.events import TransitionConflict

NON_FIELD = "non_field_errors"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class Conflict(exceptions.APIException):
    """The rollout's state does not allow the action (now: someone else may have acted)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The rollout's state does not allow this action."
    default_code = "conflict"


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn the services' exceptions into API errors: 400, 403 or 409."""
    try:
        yield
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(django_errors(exc)) from exc
    except TransitionConflict as exc:
        code = getattr(exc, "code", "")
        if code == "permission_denied":
            raise exceptions.PermissionDenied(str(exc)) from exc
        if code == "invalid":
            raise exceptions.ValidationError({exc.field or NON_FIELD: [str(exc)]}) from exc
        raise Conflict(str(exc)) from exc


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if key == NON_FIELD_ERRORS else key): list(messages)
            for key, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as `{"dotted.path": [messages]}`."""
    out: dict[str, list[str]] = {}

    def add(key: str, messages: list[str]) -> None:
        out.setdefault(key or NON_FIELD, []).extend(messages)

    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in (NON_FIELD, NON_FIELD_ERRORS):
                name = path
            else:
                part = str(key + 1) if isinstance(key, int) else str(key)
                name = f"{path}.{part}" if path else part
            for sub, messages in flatten(value, name).items():
                add(sub, messages)
    elif isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        add(path, [str(item) for item in detail])
    elif isinstance(detail, list):
        for n, item in enumerate(detail, start=1):
            if item:
                for sub, messages in flatten(item, f"{path}.{n}" if path else str(n)).items():
                    add(sub, messages)
    else:
        add(path, [str(detail)])
    return out


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error but a bug: Django answers 500 and logs it
    if isinstance(exc, exceptions.ValidationError):
        errors, code = flatten(exc.detail), "invalid"
    elif response.status_code == status.HTTP_400_BAD_REQUEST:  # malformed JSON
        errors, code = {NON_FIELD: [str(exc.detail)]}, exc.default_code
    else:
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else exc.default_code,
        }
        return response
    field, messages = next(iter(errors.items()), (NON_FIELD, ["Invalid input."]))
    where = "" if field == NON_FIELD else f"{field}: "
    response.data = {
        "detail": f"{where}{messages[0]}",
        "code": code,
        "field": field,
        "errors": errors,
    }
    return response
