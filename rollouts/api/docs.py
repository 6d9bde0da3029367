"""The OpenAPI schema and its docs pages. They list every endpoint and field, so they need a
signed-in person (a session) or an API token, unless API_DOCS_PUBLIC opens them. A browser
that is not signed in is sent to the sign-in page; the schema answers a JSON 401.

Swagger UI is served as two responses (the page, then its start-up script), so the page runs
no inline script under the Content-Security-Policy; both docs pages still need inline styles
(Swagger UI's page style, Redoc's generated styles) and Redoc its search worker."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated

from rollouts.api.authentication import BearerTokenAuthentication

DOCS_CSP = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


class _DocsAccess:
    # The token first: its `WWW-Authenticate` makes a missing or wrong one a 401.
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]

    def get_permissions(self):
        return [AllowAny() if settings.API_DOCS_PUBLIC else IsAuthenticated()]


class _DocsPage(_DocsAccess):
    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class SchemaView(_DocsAccess, SpectacularJSONAPIView):
    pass


class SwaggerView(_DocsPage, SpectacularSwaggerSplitView):
    pass


class RedocView(_DocsPage, SpectacularRedocView):
    pass


schema = SchemaView.as_view()
swagger = csp_update(DOCS_CSP)(SwaggerView.as_view(url_name="api-schema"))
redoc = csp_update(DOCS_CSP)(RedocView.as_view(url_name="api-schema"))
