"""Personal API tokens: created (the raw token is returned once and never stored), revoked,
and checked on every API request.

Only the SHA-256 hash of a token is stored; the prefix (its first characters) tells tokens
apart in a list. `last_used_at` is written at most once a minute per token, so a busy
pipeline does not cost a database write per request.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from rollouts.models import ApiToken, token_hash
from rollouts.services.errors import ActionRefused

logger = logging.getLogger(__name__)

PREFIX_LENGTH = 12
NAME_MAX_LENGTH = 100
# Longer than any token we issue, short enough that hashing an attacker's header costs nothing.
RAW_MAX_LENGTH = 256
LAST_USED_EVERY = timedelta(minutes=1)


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns the row and the raw token, which exists nowhere else:
    show it once and forget it."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the token a name (e.g. the pipeline using it)."]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [f"At most {NAME_MAX_LENGTH} characters."]})
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:PREFIX_LENGTH], hashed=token_hash(raw)
    )
    logger.info("API token %s (%s…) created for %s", token.pk, token.prefix, user.get_username())
    return token, raw


def api_token_revoke(*, token: ApiToken, actor) -> bool:
    """Revoke for good. Only its owner or a superuser may. False if it was already revoked."""
    if actor is None or not (actor.pk == token.user_id or actor.is_superuser):
        raise ActionRefused(
            "Only the token's owner or an admin can revoke it.", code="permission_denied"
        )
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
        logger.info(
            "API token %s (%s…) revoked by %s", token.pk, token.prefix, actor.get_username()
        )
    return bool(revoked)


def api_token_authenticate(raw: str):
    """The active user a raw token belongs to, or None (unknown, revoked, inactive user)."""
    if not isinstance(raw, str) or not raw or len(raw) > RAW_MAX_LENGTH:
        return None
    token = ApiToken.objects.active().select_related("user").filter(hashed=token_hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = now - LAST_USED_EVERY
    if token.last_used_at is None or token.last_used_at <= stale:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
    return token.user
