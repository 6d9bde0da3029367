"""`manage.py create_api_token <username> [--name NAME]`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rollouts.models import ApiToken
from rollouts.services.tokens import api_token_authenticate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_only_the_token_which_works():
    user = UserFactory(username="ci-bot")

    out, err = run("ci-bot", "--name", "GitHub Actions")

    raw = out.strip()
    assert api_token_authenticate(raw) == user
    token = ApiToken.objects.get(user=user)
    assert token.name == "GitHub Actions" and raw.startswith(token.prefix)
    assert "shown only this once" in err and raw not in err


def test_a_default_name():
    UserFactory(username="ci-bot")

    run("ci-bot")

    assert ApiToken.objects.get().name == "command line"


def test_an_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="No user 'ghost'"):
        run("ghost")
    assert not ApiToken.objects.exists()


def test_an_inactive_user_is_an_error():
    UserFactory(username="gone", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        run("gone")
    assert not ApiToken.objects.exists()
