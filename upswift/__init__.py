"""Client for the Upswift REST API (v1), with no Django imports, so it can be read and tested alone.

Every call is first built as an `ApiRequest` by a pure builder (`upswift.requests`: no I/O, no
token), so the rollout engine can record it before `UpswiftClient.send` (`upswift.client`) adds
the token and sends it. Failures raise an `UpswiftError` subclass (`upswift.errors`) whose
`retryable` says whether a retry can help. `upswift.interface.DeployApi` is what the engine needs
from an API version. The API facts this relies on: docs/upswift-api.md.
"""

from upswift.client import UpswiftClient
from upswift.errors import InvalidRequest, RateLimited, Rejected, Transient, UpswiftError
from upswift.filters import DevicesFilter, Filter
from upswift.interface import DeployApi
from upswift.requests import ApiRequest, deploy_update_request, redact

__all__ = [
    "ApiRequest",
    "DeployApi",
    "DevicesFilter",
    "Filter",
    "InvalidRequest",
    "RateLimited",
    "Rejected",
    "Transient",
    "UpswiftClient",
    "UpswiftError",
    "deploy_update_request",
    "redact",
]
