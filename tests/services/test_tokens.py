"""rollouts/services/tokens.py: create (shown once, stored hashed), revoke, authenticate."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from rollouts.models import ApiToken, token_hash
from rollouts.services.errors import ActionRefused
from rollouts.services.tokens import api_token_authenticate, api_token_create, api_token_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_database_never_holds_the_raw_token():
    user = UserFactory()

    token, raw = api_token_create(user=user, name="ci")

    assert raw.startswith("usc_") and len(raw) > 40
    assert token.hashed == token_hash(raw)
    assert raw.startswith(token.prefix) and len(token.prefix) < len(raw) // 3
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(raw in str(value) for value in row.values())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608
        stored = [str(value) for record in cursor.fetchall() for value in record]
    assert stored and not any(raw in value for value in stored)


def test_each_token_is_different():
    user = UserFactory()

    raws = {api_token_create(user=user, name=f"t{n}")[1] for n in range(5)}

    assert len(raws) == 5


def test_a_name_is_required():
    with pytest.raises(ValidationError) as caught:
        api_token_create(user=UserFactory(), name="   ")

    assert "name" in caught.value.message_dict
    assert not ApiToken.objects.exists()


def test_authenticate_returns_the_owner():
    user = UserFactory()
    _, raw = api_token_create(user=user, name="ci")

    assert api_token_authenticate(raw) == user


@pytest.mark.parametrize("raw", ["", "usc_nope", "x" * 10_000, None])
def test_authenticate_refuses_unknown_tokens(raw):
    api_token_create(user=UserFactory(), name="ci")

    assert api_token_authenticate(raw) is None


def test_a_revoked_token_no_longer_authenticates():
    user = UserFactory()
    token, raw = api_token_create(user=user, name="ci")

    assert api_token_revoke(token=token, actor=user) is True

    assert api_token_authenticate(raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api_token_revoke(token=token, actor=user) is False  # already revoked


def test_only_the_owner_or_an_admin_may_revoke():
    owner = UserFactory()
    token, raw = api_token_create(user=owner, name="ci")

    with pytest.raises(ActionRefused) as refused:
        api_token_revoke(token=token, actor=UserFactory())
    assert refused.value.code == "permission_denied"
    assert api_token_authenticate(raw) == owner

    assert api_token_revoke(token=token, actor=UserFactory(is_superuser=True)) is True


def test_an_inactive_user_cannot_authenticate():
    user = UserFactory()
    _, raw = api_token_create(user=user, name="ci")
    user.is_active = False
    user.save()

    assert api_token_authenticate(raw) is None


def test_last_used_is_written_at_most_once_a_minute():
    token, raw = api_token_create(user=UserFactory(), name="ci")
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        api_token_authenticate(raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        api_token_authenticate(raw)
    unchanged = ApiToken.objects.get(pk=token.pk).last_used_at
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_token_authenticate(raw)
    later = ApiToken.objects.get(pk=token.pk).last_used_at

    assert first == start
    assert unchanged == start
    assert later == start + timedelta(seconds=61)
