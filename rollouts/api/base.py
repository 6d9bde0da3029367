"""What every API view shares: its base class, the documented error answers, input checking,
lookups."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView

from rollouts.api.serializers import ErrorSerializer, ValidationErrorSerializer
from rollouts.api.throttles import rate_limit_headers

_ERRORS = {
    400: OpenApiResponse(ValidationErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorSerializer, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(ErrorSerializer, description="The token's user lacks the permission."),
    404: OpenApiResponse(ErrorSerializer, description="No such object."),
    409: OpenApiResponse(ErrorSerializer, description="The current state does not allow it."),
}


class ApiView(GenericAPIView):
    """Every API view. Rate limits are checked before the token (a guess counts like any
    request) and reported on every answer. The conditional-request attributes say which
    methods answer an ETag, honour `If-None-Match` and `If-Match` (see conditional.py); the
    schema documents them from here (schema.py)."""

    etag_answers: tuple[str, ...] = ()
    if_none_match: tuple[str, ...] = ()
    if_match: tuple[str, ...] = ()

    def perform_authentication(self, request):
        super().check_throttles(request)
        super().perform_authentication(request)

    def check_throttles(self, request):
        """Done already, before authentication."""

    def get_throttles(self):
        if not hasattr(self, "_throttles"):
            self._throttles = super().get_throttles()
        return self._throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in rate_limit_headers(self.get_throttles()).items():
            response[name] = value
        return response


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
