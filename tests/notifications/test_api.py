"""/api/v1/notifications/…: admins only (401 without a token, 403 for every role); the secret
is in the creation's answer only; bad input is a 400 naming the field; test and log."""

import pytest
from django.urls import reverse

from rollouts.models import Channel, Delivery, NotifyKind
from tests.notifications.conftest import webhook

pytestmark = pytest.mark.django_db

CHANNELS = reverse("api-notification-channels")
NEW = {"name": "CI", "kind": "webhook", "url": "https://ci.example.com/in", "kinds": ["paused"]}


@pytest.fixture
def channel():
    channel, _ = webhook("https://hooks.example.com/in")
    return channel


def calls(pk):
    return [
        ("get", CHANNELS, None),
        ("post", CHANNELS, NEW),
        ("get", reverse("api-notification-channel", args=[pk]), None),
        ("patch", reverse("api-notification-channel", args=[pk]), {"enabled": False}),
        ("delete", reverse("api-notification-channel", args=[pk]), None),
        ("post", reverse("api-notification-channel-test", args=[pk]), None),
        ("post", reverse("api-notification-channel-rotate-secret", args=[pk]), None),
        ("get", reverse("api-notification-channel-deliveries", args=[pk]), None),
    ]


@pytest.mark.parametrize("role", ["viewer", "release_manager", "outsider"])
def test_only_admins(api_as, channel, role, request):
    client = api_as(request.getfixturevalue(role))
    for method, url, body in calls(channel.pk):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url)
    channel.refresh_from_db()
    assert channel.enabled and not Delivery.objects.exists()


def test_no_token_is_401(anonymous, channel):
    for method, url, body in calls(channel.pk):
        assert getattr(anonymous, method)(url, body, format="json").status_code == 401


def test_create_answers_the_secret_once(api_as, admin):
    client = api_as(admin)
    created = client.post(CHANNELS, NEW, format="json")

    assert created.status_code == 201 and "no-store" in created["Cache-Control"]
    body = created.json()
    channel = Channel.objects.get(pk=body["id"])
    assert body["secret"] == channel.secret and body["secret"].startswith("whsec_")
    assert created["Location"] == reverse("api-notification-channel", args=[channel.pk])
    again = client.get(created["Location"]).json()
    listed = client.get(CHANNELS).json()
    assert "secret" not in again and channel.secret not in str(listed)
    assert again["kinds"] == ["paused"] and again["target"] == "https://ci.example.com/in"

    rotated = client.post(reverse("api-notification-channel-rotate-secret", args=[channel.pk]))
    channel.refresh_from_db()
    assert rotated.json() == {"secret": channel.secret} and channel.secret != body["secret"]


def test_an_apprise_url_is_never_answered(api_as, admin):
    client = api_as(admin)
    url = "json://127.0.0.1:9/chat/secret-room-token"
    body = {"name": "Chat", "kind": "apprise", "apprise_url": url, "kinds": ["completed"]}
    created = client.post(CHANNELS, body, format="json")

    assert created.status_code == 201
    assert "secret-room-token" not in created.content.decode()
    assert created.json()["target"] == "json://…" and created.json()["secret"] == ""
    assert "secret-room-token" not in client.get(CHANNELS).content.decode()


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"url": "not a url"}, "url", "http:// or https://"),
        ({"kind": "email", "recipients": ["ok@example.com", "nope"]}, "recipients", "nope"),
        ({"kind": "apprise", "apprise_url": "nonsense://SECRET-TOKEN"}, "apprise_url", "Apprise"),
        ({"kinds": ["paused", "whatever"]}, "kinds.2", "not a valid choice"),
        ({"kinds": []}, "kinds", "at least one"),
        ({"kind": "teams"}, "kind", "not a valid choice"),
        ({"recipients": "ops@example.com"}, "recipients", "list"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, admin, body, field, says):
    response = api_as(admin).post(CHANNELS, {**NEW, **body}, format="json")

    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] == "invalid" and field in answer["errors"]
    assert any(says in e for e in answer["errors"][field]), answer
    assert "SECRET-TOKEN" not in response.content.decode() and not Channel.objects.exists()


def test_change_test_log_and_delete(api_as, admin, channel):
    client = api_as(admin)
    url = reverse("api-notification-channel", args=[channel.pk])

    changed = client.patch(url, {"projects": ["Demo"], "enabled": False}, format="json")
    assert changed.status_code == 200
    assert changed.json()["projects"] == ["Demo"] and changed.json()["enabled"] is False
    refused = client.patch(url, {"kind": "email"}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "kind"

    tested = client.post(reverse("api-notification-channel-test", args=[channel.pk]))
    assert tested.status_code == 202 and tested.json()["kind"] == NotifyKind.TEST
    log = client.get(reverse("api-notification-channel-deliveries", args=[channel.pk])).json()
    assert [d["id"] for d in log["results"]] == [tested.json()["id"]]
    assert log["results"][0]["tries"] == []

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
