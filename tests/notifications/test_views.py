"""/notifications/ in the console: admins only; a webhook's secret is shown once; bad input
is refused on its field; the Apprise URL is never rendered; Send test queues a try; the
delivery log lists tries."""

import pytest
from django.urls import reverse

from rollouts.models import SUBSCRIBABLE_KINDS, Channel, Delivery, DeliveryAttempt, NotifyKind
from rollouts.services.notifications import channel_create
from tests.notifications.conftest import webhook

pytestmark = pytest.mark.django_db

APPRISE_URL = "json://127.0.0.1:9/chat/secret-room-token"


@pytest.fixture
def admin(client, console_admin):
    client.force_login(console_admin)
    return client


@pytest.fixture
def channel():
    channel, _ = webhook("https://hooks.example.com/in")
    return channel


def pages(pk):
    return [
        ("get", reverse("notification_channels")),
        ("get", reverse("notification_channel_new")),
        ("post", reverse("notification_channel_new")),
        ("get", reverse("notification_channel_edit", args=[pk])),
        ("post", reverse("notification_channel_edit", args=[pk])),
        ("post", reverse("notification_channel_test", args=[pk])),
        ("post", reverse("notification_channel_rotate", args=[pk])),
        ("post", reverse("notification_channel_delete", args=[pk])),
        ("get", reverse("notification_deliveries", args=[pk])),
    ]


@pytest.mark.parametrize("role", ["viewer", "release_manager", "outsider"])
def test_only_admins_manage_notifications(client, channel, role, request):
    client.force_login(request.getfixturevalue(role))
    for method, url in pages(channel.pk):
        assert getattr(client, method)(url).status_code == 403, url
    assert Channel.objects.filter(pk=channel.pk).exists() and not Delivery.objects.exists()
    assert "Notifications" not in client.get(reverse("dashboard")).content.decode()


def test_signed_out_goes_to_sign_in(client, channel):
    for method, url in pages(channel.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_admin_sees_the_channels_and_the_nav_link(admin, channel):
    page = admin.get(reverse("notification_channels")).content.decode()
    assert "Ops webhook" in page and "https://hooks.example.com/in" in page
    assert reverse("notification_channels") in admin.get(reverse("dashboard")).content.decode()


def test_creating_a_webhook_shows_its_secret_once(admin):
    form = {"name": "CI hook", "kind": "webhook", "url": "https://ci.example.com/hook"}
    response = admin.post(
        reverse("notification_channel_new"), {**form, "kinds": ["paused", "failed"]}
    )

    channel = Channel.objects.get(name="CI hook")
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert channel.secret in page and "shown only this once" in page
    assert channel.kinds == ["paused", "failed"] and channel.projects == []
    for url in (
        reverse("notification_channels"),
        reverse("notification_channel_edit", args=[channel.pk]),
        reverse("notification_deliveries", args=[channel.pk]),
    ):
        assert channel.secret not in admin.get(url).content.decode()

    rotated = admin.post(reverse("notification_channel_rotate", args=[channel.pk]))
    old, channel = channel.secret, Channel.objects.get(pk=channel.pk)
    assert channel.secret != old and channel.secret in rotated.content.decode()


def test_an_apprise_url_is_never_rendered(admin):
    response = admin.post(
        reverse("notification_channel_new"),
        {"name": "Chat", "kind": "apprise", "apprise_url": APPRISE_URL, "kinds": ["completed"]},
    )
    assert response.status_code == 302
    channel = Channel.objects.get(name="Chat")
    assert channel.apprise_url == APPRISE_URL
    for url in (
        reverse("notification_channels"),
        reverse("notification_channel_edit", args=[channel.pk]),
    ):
        assert "secret-room-token" not in admin.get(url).content.decode()

    kept = admin.post(
        reverse("notification_channel_edit", args=[channel.pk]),
        {"name": "Chat 2", "apprise_url": "", "kinds": ["completed"], "enabled": "on"},
    )
    assert kept.status_code == 302
    channel.refresh_from_db()
    assert channel.apprise_url == APPRISE_URL and channel.name == "Chat 2"


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"kind": "webhook", "url": "javascript:alert(1)"}, "url", "http:// or https://"),
        ({"kind": "email", "recipients": "ops@example.com\nnope@"}, "recipients", "nope@"),
        ({"kind": "apprise", "apprise_url": "nonsense://SECRET-TOKEN"}, "apprise_url", "Apprise"),
        ({"kind": "webhook", "url": "https://x.test", "kinds": []}, "kinds", "at least one"),
    ],
)
def test_bad_input_is_refused_on_its_field(admin, form, field, says):
    data = {"name": "Bad", "kinds": ["paused"], **form}
    response = admin.post(reverse("notification_channel_new"), data)

    assert response.status_code == 200 and not Channel.objects.exists()
    errors = response.context["form"].errors
    assert any(says in e for e in errors[field])
    page = response.content.decode()
    assert "field-error" in page and "SECRET-TOKEN" not in page


def test_send_test_queues_a_try_and_the_log_shows_it(admin, channel):
    response = admin.post(reverse("notification_channel_test", args=[channel.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("notification_deliveries", args=[channel.pk])
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.kind == NotifyKind.TEST and delivery.attempts == 0  # a task sends it
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, started_at=delivery.created_at, error="No answer within 5 s."
    )
    page = admin.get(response["Location"]).content.decode()
    assert "Test message for “Ops webhook”" in page and "No answer within 5 s." in page


def test_editing_and_deleting(admin, channel):
    email, _ = channel_create(
        kind="email", name="Team", recipients=["a@example.com"], kinds=SUBSCRIBABLE_KINDS
    )
    response = admin.post(
        reverse("notification_channel_edit", args=[email.pk]),
        {
            "name": "Team",
            "recipients": "a@example.com, b@example.com",
            "kinds": ["completed"],
            "projects": "Demo, Other",
        },
    )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.recipients == ["a@example.com", "b@example.com"] and not email.enabled
    assert email.projects == ["Demo", "Other"] and email.kind == "email"

    admin.post(reverse("notification_channel_delete", args=[channel.pk]))
    assert not Channel.objects.filter(pk=channel.pk).exists()
