import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from rollouts.models import SUBSCRIBABLE_KINDS, Channel, ChannelKind
from rollouts.roles import ADMIN
from rollouts.services.notifications import channel_create
from rollouts.services.users import user_with_role

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


class Command(BaseCommand):
    help = "Create (or reset) the demo login for a laptop console and print it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, username: str, url: str, **options):
        password = secrets.token_urlsafe(12)
        user, created = user_with_role(username=username, role=ADMIN, password=password)
        if settings.EMAIL_BACKEND == CONSOLE_EMAIL and not Channel.objects.exists():
            # Email goes to the worker's output on a laptop: notifications show with no account.
            channel_create(
                kind=ChannelKind.EMAIL,
                name="Demo: email, printed by the worker",
                recipients=["release-team@example.com"],
                kinds=SUBSCRIBABLE_KINDS,
                actor=user,
            )
        # A second person, so four-eyes can be tried: sign in as them to approve.
        second_password = secrets.token_urlsafe(12)
        user_with_role(username=f"{username}-approver", role="approver", password=second_password)
        verb = "Created" if created else "Reset the password of"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} the demo login. Open {url}  user: {username}  password: {password}"
            )
        )
        self.stdout.write(
            f"A second person (role approver, for four-eyes; `manage.py create_user` makes "
            f"more): user: {username}-approver  password: {second_password}"
        )
