"""What every API view shares: the documented error answers, input checking, lookups."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotFound

from rollouts.api.serializers import ErrorSerializer, ValidationErrorSerializer

_ERRORS = {
    400: OpenApiResponse(ValidationErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(ErrorSerializer, description="The token's user lacks the permission."),
    404: OpenApiResponse(ErrorSerializer, description="No such object."),
    409: OpenApiResponse(ErrorSerializer, description="The current state does not allow it."),
}


def responses(ok: dict, *codes: int) -> dict:
    """`ok` plus the error answers `codes` (401 and 403 are always possible)."""
    return {**ok, **{code: _ERRORS[code] for code in sorted({401, 403, *codes})}}


def valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def found(model, pk: int):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{model._meta.verbose_name.capitalize()} {pk} not found.")
    return obj
