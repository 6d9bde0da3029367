"""People, roles, tokens and channels in the admin: pages load, roles show, and no secret
(an API token, a webhook secret, an Apprise URL, credentials in a webhook URL) is displayed."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rollouts.admin.people import url_without_credentials
from rollouts.models import ApiToken, Channel, ChannelKind, Profile
from rollouts.roles import RELEASE_MANAGER, VIEWER, roles_sync
from rollouts.services.notifications import channel_create
from rollouts.services.tokens import api_token_create
from tests.support.roles import user_with_role

pytestmark = pytest.mark.django_db

HOOK = "https://ops:hunter2-pw@hooks.example.com:8443/services/T0/B0/sekrit-path?token=sekrit-q"
APPRISE = "json://bot:TokenA-sekrit@chat.example.com/sekrit-room"


@pytest.fixture
def admin(client, console_admin):
    client.force_login(console_admin)
    return client


@pytest.fixture
def secrets(release_manager):
    token, raw = api_token_create(user=release_manager, name="ci")
    hook, signing = channel_create(
        kind=ChannelKind.WEBHOOK, name="Ops hook", url=HOOK, kinds=["paused"]
    )
    chat, _ = channel_create(
        kind=ChannelKind.APPRISE, name="Chat", apprise_url=APPRISE, kinds=["paused"]
    )
    return {"token": token, "raw": raw, "hook": hook, "signing": signing, "chat": chat}


def pages(client, objects) -> str:
    text = ""
    for obj in objects:
        name = obj._meta.model_name
        for path in (
            reverse(f"admin:rollouts_{name}_changelist"),
            reverse(f"admin:rollouts_{name}_change", args=[obj.pk]),
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            text += response.content.decode()
    return text


def test_no_secret_is_displayed(admin, secrets):
    shown = pages(admin, [secrets["token"], secrets["hook"], secrets["chat"]])

    assert secrets["token"].prefix in shown  # the token is told apart by its prefix ...
    for secret in (
        secrets["raw"],  # ... never shown whole
        secrets["token"].hashed,
        secrets["signing"],
        "hunter2-pw",
        "sekrit",
        "TokenA",
    ):
        assert secret not in shown
    assert "https://hooks.example.com:8443/…" in shown
    assert "json://…" in shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (HOOK, "https://hooks.example.com:8443/…"),
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/…"),
        ("http://[::1]:9000/x?y=1", "http://::1:9000/…"),
        ("not a url", "…"),
        ("https://host:99999999/", "…"),
    ],
)
def test_url_without_credentials(url, shown):
    assert url_without_credentials(url) == shown


@pytest.mark.parametrize("model", [ApiToken, Channel])
def test_tokens_and_channels_are_read_only_here(admin, secrets, model):
    obj = model.objects.first()
    name = model._meta.model_name

    assert admin.get(reverse(f"admin:rollouts_{name}_add")).status_code == 403
    assert (
        admin.post(reverse(f"admin:rollouts_{name}_change", args=[obj.pk]), {}).status_code == 403
    )
    assert (
        admin.post(reverse(f"admin:rollouts_{name}_delete", args=[obj.pk]), {}).status_code == 403
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_users_show_their_roles_and_roles_their_members(admin, release_manager, viewer):
    users = admin.get(reverse("admin:auth_user_changelist")).content.decode()
    roles = admin.get(reverse("admin:auth_group_changelist")).content.decode()
    role = Group.objects.get(name=RELEASE_MANAGER)
    detail = admin.get(reverse("admin:auth_group_change", args=[role.pk]))

    assert "Release manager" in users and "Viewer" in users and "Admin" in users
    assert RELEASE_MANAGER in roles and VIEWER in roles
    assert detail.status_code == 200
    assert admin.get(reverse("admin:auth_user_change", args=[viewer.pk])).status_code == 200


def test_an_admin_gives_someone_a_role(admin, outsider):
    roles_sync()
    role = Group.objects.get(name=VIEWER)
    page = admin.get(reverse("admin:auth_user_change", args=[outsider.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": outsider.username,
            "groups": [role.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
        }
    )
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)

    response = admin.post(reverse("admin:auth_user_change", args=[outsider.pk]), data)

    assert response.status_code == 302, response.content.decode()[-2000:]
    outsider.refresh_from_db()
    assert list(outsider.groups.values_list("name", flat=True)) == [VIEWER]


@pytest.mark.parametrize("listing", ["auth_user", "auth_group", "rollouts_apitoken"])
def test_people_lists_run_the_same_queries_at_any_size(admin, listing):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(reverse(f"admin:{listing}_changelist")).status_code == 200
        return len(captured.captured_queries)

    def grow(n):
        for i in range(n):
            user = user_with_role(f"p{listing}{i}{Group.objects.count()}", RELEASE_MANAGER)
            user.groups.add(*Group.objects.all())
            api_token_create(user=user, name="ci")

    grow(1)
    queries()  # a session's first request writes it once (SessionLifetime)
    small = queries()
    grow(6)
    large = queries()

    assert small == large


def test_a_persons_time_zone_is_listed_and_changed_in_the_admin(admin, viewer):
    profile = Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    change = reverse("admin:rollouts_profile_change", args=[profile.pk])

    listed = admin.get(reverse("admin:rollouts_profile_changelist")).content.decode()
    saved = admin.post(change, {"user": viewer.pk, "timezone": "Europe/Berlin"})

    assert viewer.username in listed and "Asia/Tokyo" in listed
    assert saved.status_code == 302
    assert Profile.objects.get(user=viewer).timezone == "Europe/Berlin"


def test_an_unknown_time_zone_is_a_form_error_and_nothing_changes(admin, viewer):
    profile = Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    change = reverse("admin:rollouts_profile_change", args=[profile.pk])

    response = admin.post(change, {"user": viewer.pk, "timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 200
    assert "is not a time zone" in response.content.decode()
    assert Profile.objects.get(user=viewer).timezone == "Asia/Tokyo"


def test_an_empty_time_zone_means_the_browsers(admin, viewer):
    response = admin.post(reverse("admin:rollouts_profile_add"), {"user": viewer.pk})

    assert response.status_code == 302
    assert Profile.objects.get(user=viewer).timezone == ""
    listed = admin.get(reverse("admin:rollouts_profile_changelist")).content.decode()
    assert "the browser&#x27;s" in listed


def test_only_admins_change_time_zones(client, release_manager, viewer):
    profile = Profile.objects.create(user=viewer, timezone="Asia/Tokyo")
    client.force_login(release_manager)

    client.post(
        reverse("admin:rollouts_profile_change", args=[profile.pk]),
        {"user": viewer.pk, "timezone": "Europe/Berlin"},
    )

    assert Profile.objects.get(user=viewer).timezone == "Asia/Tokyo"
