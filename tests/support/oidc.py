"""A real OpenID Connect provider for the single sign-on tests: oidc-provider-mock's app (the
authorization code flow, RS256 ID tokens, userinfo, JWKS) served by werkzeug on a free port
of 127.0.0.1 in a thread of the test process.

It accepts any client id and secret; a person is "signed in" at the provider by posting
their `sub` to its authorization form, with the claims `Provider.user` gave them."""

import threading
from contextlib import contextmanager
from dataclasses import dataclass

import requests
import werkzeug.serving
from oidc_provider_mock import app as oidc_app


@dataclass
class Provider:
    url: str

    def user(self, sub: str, **claims) -> None:
        """Give `sub` these claims (email, groups, preferred_username…) at the provider."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text


@contextmanager
def provider_running():
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Provider(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def sso_settings(settings, provider: Provider, **extra) -> None:
    """Turn single sign-on on against `provider`, for the in-process live server."""
    settings.OIDC_RP_CLIENT_ID = "upswift-console"
    settings.OIDC_RP_CLIENT_SECRET = "client-secret-for-tests"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.url}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.url}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.url}/jwks"
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_ROLE_MAP = "rm=Release manager,ops=admin,readers=Viewer"
    # Plain http to 127.0.0.1: cookies without the Secure flag, no redirect to https.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    for name, value in extra.items():
        setattr(settings, name, value)
