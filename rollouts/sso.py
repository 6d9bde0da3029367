"""Single sign-on with OpenID Connect (mozilla-django-oidc): on when OIDC_RP_CLIENT_ID is set.

A person is the console user with the provider's (verified) email, created at their first
sign-in. Their roles follow the provider at every sign-in: the values of the claim
OIDC_ROLE_CLAIM (`groups`; a list or one string) are looked up in OIDC_ROLE_MAP
("release-managers=Release manager,console-admins=admin"), the person's role groups become
exactly the mapped ones, and `admin` makes them a superuser (staff too, for Django's admin).
A person with no mapped value gets OIDC_DEFAULT_ROLE (Viewer), or is refused when it is
empty. Local accounts keep signing in with their passwords.

The backend is always listed in AUTHENTICATION_BACKENDS and does nothing while SSO is off,
so turning it on is a matter of environment only.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from rollouts.roles import ADMIN, ROLE_PERMISSIONS, roles_sync

USERNAME_MAX = 150
logger = logging.getLogger(__name__)


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def role_names() -> set[str]:
    return {*ROLE_PERMISSIONS, ADMIN}


def role_map() -> dict[str, str]:
    """OIDC_ROLE_MAP ("claim-value=Role name,...") as {claim value: role}."""
    mapping = {}
    for item in filter(None, (p.strip() for p in settings.OIDC_ROLE_MAP.split(","))):
        value, sep, role = (part.strip() for part in item.partition("="))
        if not sep or not value or role not in role_names():
            raise ImproperlyConfigured(
                f"OIDC_ROLE_MAP: {item!r} is not claim-value=role with a role among "
                f"{sorted(role_names())}."
            )
        mapping[value] = role
    return mapping


def roles_for(claims: dict) -> set[str]:
    """The console roles a person's claims map to; the default role when none does."""
    values = claims.get(settings.OIDC_ROLE_CLAIM)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        values = []
    mapping = role_map()
    roles = {mapping[v] for v in values if isinstance(v, str) and v in mapping}
    if not roles and settings.OIDC_DEFAULT_ROLE:
        roles = {settings.OIDC_DEFAULT_ROLE}
    return roles


@transaction.atomic
def roles_apply(user, roles: set[str]) -> None:
    """Make the person's role groups exactly `roles` (other groups are left alone)."""
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
    if len(groups) < len(ROLE_PERMISSIONS):
        roles_sync()
        groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
    user.groups.remove(*(g for name, g in groups.items() if name not in roles))
    user.groups.add(*(g for name, g in groups.items() if name in roles))
    admin = ADMIN in roles
    if (user.is_superuser, user.is_staff) != (admin, admin):
        user.is_superuser = user.is_staff = admin
        user.save(update_fields=["is_superuser", "is_staff"])


class ConsoleOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the console's role mapping; inert while SSO is off."""

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        if sso_enabled():
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        """Only the callback view's call (it passes the nonce), never a password sign-in. A
        provider that is down or answers what cannot be verified is a refused sign-in (the
        person is sent back to the sign-in page), logged, never a server error."""
        if not sso_enabled() or "nonce" not in kwargs or "password" in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, ValueError) as exc:
            logger.warning("single sign-on refused: %s: %s", type(exc).__name__, exc)
            return None

    def retrieve_matching_jwk(self, token):
        """The provider's key for this ID token. A token that names no key (`kid`) is checked
        with the provider's only key; with several keys it must name one."""
        header = jwt.get_unverified_header(token)
        if "kid" in header:
            return super().retrieve_matching_jwk(token)
        answer = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        answer.raise_for_status()
        keys = answer.json().get("keys") or []
        if len(keys) != 1 or keys[0].get("alg", header.get("alg")) != header.get("alg"):
            raise SuspiciousOperation("the ID token names no key and the provider has several")
        return jwt.PyJWK(keys[0])

    def verify_claims(self, claims) -> bool:
        """An email the provider has not verified never matches an account; a person whose
        claims map to no role (and no default role) is refused."""
        if not claims.get("email") or claims.get("email_verified") is False:
            return False
        return bool(roles_for(claims))

    def get_username(self, claims) -> str:
        """The provider's preferred_username (else the email), made unique."""
        base = (claims.get("preferred_username") or claims["email"])[:USERNAME_MAX]
        name, n = base, 1
        while self.UserModel.objects.filter(username=name).exists():
            n += 1
            name = f"{base[: USERNAME_MAX - len(str(n)) - 1]}-{n}"
        return name

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(
            self.get_username(claims), email=claims["email"]
        )  # no password: this person signs in through the provider only
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        roles_apply(user, roles_for(claims))
        return user


@register()
def sso_settings_check(app_configs, **kwargs) -> list[Error]:
    """A wrong OIDC_ROLE_MAP or missing endpoint stops the console at start, not at a sign-in."""
    if not sso_enabled():
        return []
    errors = []
    missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not getattr(settings, name, "")
    ]
    if missing:
        errors.append(
            Error(f"OIDC_RP_CLIENT_ID is set but {', '.join(missing)} not.", id="rollouts.E101")
        )
    try:
        role_map()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="rollouts.E102"))
    if settings.OIDC_DEFAULT_ROLE and settings.OIDC_DEFAULT_ROLE not in role_names():
        errors.append(
            Error(
                f"OIDC_DEFAULT_ROLE must be empty or one of {sorted(role_names())}.",
                id="rollouts.E103",
            )
        )
    return errors
