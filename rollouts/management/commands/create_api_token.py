"""`manage.py create_api_token <username> [--name NAME]`: print a new personal API token.

Only the token goes to stdout (so `TOKEN=$(manage.py create_api_token ci)` works); the note
goes to stderr. The token is shown this once: only its hash is stored.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rollouts.services.tokens import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args, username: str, name: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token would not work.")
        try:
            token, raw = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(raw)
        self.stderr.write(
            f"Created API token {token.name!r} ({token.prefix}…) for {username}. "
            "It is shown only this once: store it now."
        )
