"""Conditional requests on a plan and a rollout (RFC 9110 §13).

The ETag is a hash of the representation the API answers for that user (a rollout's `actions`
depend on who asks), so it changes with anything the client can see: an edit, an action, the
engine's progress. `If-None-Match` on a GET answers 304 when nothing changed; `If-Match` on a
write (a plan's PUT or PATCH, a rollout's actions and stage edits) answers 412 when the
resource is no longer the one the client read, and nothing is written. The precondition is
checked after the lookup (404) and before the input (400), just before the write.
"""

import hashlib

from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it (If-Match): read it again."
    default_code = "precondition_failed"


def etag(data) -> str:
    """A strong ETag: the same JSON, byte for byte, has the same tag."""
    digest = hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:32]
    return f'"{digest}"'


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def if_match(request, current) -> None:
    """412 unless `If-Match` (when sent) names the current representation (`current()`, the
    serialized data; called only when the header is there). Strong comparison: a weak tag
    never matches; `*` matches any existing resource."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = parse_etags(header)
    if tags == ["*"]:
        return
    if etag(current()) not in tags:  # weak tags keep their W/ prefix: never equal
        raise PreconditionFailed()


def answer(request, data, **kwargs) -> Response:
    """`data` with its ETag, or 304 when a GET's `If-None-Match` already names it."""
    tag = etag(data)
    header = request.headers.get("If-None-Match")
    if request.method in ("GET", "HEAD") and header is not None:
        tags = parse_etags(header)
        if tags == ["*"] or tag in {_opaque(t) for t in tags}:
            response = Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
            patch_vary_headers(response, ["Authorization"])
            return response
    response = Response(data, **kwargs)
    response["ETag"] = tag
    patch_vary_headers(response, ["Authorization"])
    return response
