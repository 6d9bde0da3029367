"""/api/v1/notifications/…: notification channels and their delivery logs, for admins only
(superusers: these views name no permission, so ActionPermissions lets only them in).

A webhook's signing secret is in the answer to its creation (and to rotate-secret) only; an
Apprise URL is never in any answer."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from rollouts.api.base import ApiView, found, responses, valid
from rollouts.api.errors import service_errors
from rollouts.models import Channel, ChannelKind, Delivery, DeliveryAttempt, NotifyKind
from rollouts.services import notifications as services


class ChannelSerializer(serializers.ModelSerializer):
    """A channel as answered: never its secret nor its Apprise URL."""

    target = serializers.CharField(
        source="target_label", read_only=True, help_text="Where it sends (no secret)."
    )

    class Meta:
        model = Channel
        fields = (
            "id",
            "name",
            "kind",
            "enabled",
            "url",
            "recipients",
            "target",
            "kinds",
            "projects",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ChannelCreatedSerializer(ChannelSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="A webhook's signing secret, in this answer only; empty for other kinds.",
    )

    class Meta(ChannelSerializer.Meta):
        fields = (*ChannelSerializer.Meta.fields, "secret")
        read_only_fields = fields


class ChannelInputSerializer(serializers.Serializer):
    """Types and sizes; the services check the rest (one set of rules with the console)."""

    name = serializers.CharField(max_length=services.NAME_MAX)
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    enabled = serializers.BooleanField(required=False, default=True)
    url = serializers.CharField(
        max_length=services.URL_MAX, required=False, allow_blank=True, help_text="Webhook only."
    )
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254),
        max_length=services.MAX_RECIPIENTS,
        required=False,
        help_text="Email only: addresses.",
    )
    apprise_url = serializers.CharField(
        max_length=services.APPRISE_URL_MAX,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Chat only: the service's Apprise URL (a secret: never answered back; on a "
        "change, leave it out to keep the stored one).",
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=NotifyKind.choices),
        help_text="The kinds of message it wants (any but `test`).",
    )
    projects = serializers.ListField(
        child=serializers.CharField(max_length=services.PROJECT_MAX),
        max_length=services.MAX_PROJECTS,
        required=False,
        help_text="Upswift projects; empty: all projects.",
    )


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = (
            "number",
            "started_at",
            "finished_at",
            "succeeded",
            "status_code",
            "error",
            "duration_ms",
            "response",
        )
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    tries = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = (
            "id",
            "kind",
            "subject",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "idempotency_key",
            "event",
            "created_at",
            "finished_at",
            "tries",
        )
        read_only_fields = fields


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, in this answer only.")


class ChannelListView(ApiView):
    serializer_class = ChannelSerializer

    @extend_schema(
        operation_id="notification_channels_list",
        summary="List notification channels (admins)",
        description="By name, with the events each is subscribed to; never their secrets.",
        responses=responses({200: ChannelSerializer(many=True)}),
    )
    def get(self, request):
        page = self.paginate_queryset(Channel.objects.order_by("name"))
        return self.get_paginated_response(ChannelSerializer(page, many=True).data)

    @extend_schema(
        operation_id="notification_channels_create",
        summary="Create a notification channel (admins)",
        description="A webhook's signing secret is in this answer only: keep it.",
        request=ChannelInputSerializer,
        responses=responses({201: ChannelCreatedSerializer}, 400),
    )
    def post(self, request):
        data = valid(ChannelInputSerializer, request.data)
        with service_errors():
            channel, secret = services.channel_create(**data, actor=request.user)
        channel.secret = secret  # the raw secret, for this answer only
        answer = Response(
            ChannelCreatedSerializer(channel).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api-notification-channel", args=[channel.pk])},
        )
        answer["Cache-Control"] = "no-store"
        return answer


class ChannelDetailView(ApiView):
    serializer_class = ChannelSerializer

    @extend_schema(
        operation_id="notification_channels_retrieve",
        summary="Get a notification channel (admins)",
        description="Its settings and subscriptions; never its secret.",
        responses=responses({200: ChannelSerializer}, 404),
    )
    def get(self, request, pk: int):
        return Response(ChannelSerializer(found(Channel, pk)).data)

    @extend_schema(
        operation_id="notification_channels_partial_update",
        summary="Change a notification channel (admins)",
        description="Only the fields given; the kind cannot change.",
        request=ChannelInputSerializer(partial=True),
        responses=responses({200: ChannelSerializer}, 400, 404),
    )
    def patch(self, request, pk: int):
        channel = found(Channel, pk)
        data = valid(ChannelInputSerializer, request.data, partial=True)
        with service_errors():
            channel = services.channel_update(channel=channel, **data)
        return Response(ChannelSerializer(channel).data)

    @extend_schema(
        operation_id="notification_channels_destroy",
        summary="Delete a notification channel and its delivery log (admins)",
        description="Messages not delivered yet go with it: they are not sent.",
        responses=responses({204: None}, 404),
    )
    def delete(self, request, pk: int):
        services.channel_delete(channel=found(Channel, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelTestView(ApiView):
    serializer_class = DeliverySerializer

    @extend_schema(
        operation_id="notification_channels_test",
        summary="Send a test message (admins)",
        description="Queued on the notifications queue; follow it in the channel's deliveries.",
        request=None,
        responses=responses({202: DeliverySerializer}, 404),
    )
    def post(self, request, pk: int):
        delivery = services.channel_test(channel=found(Channel, pk), actor=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class ChannelSecretView(ApiView):
    serializer_class = SecretSerializer

    @extend_schema(
        operation_id="notification_channels_rotate_secret",
        summary="Replace a webhook's signing secret (admins)",
        description="The old secret stops at once; the new one is in this answer only.",
        request=None,
        responses=responses({200: SecretSerializer}, 400, 404),
    )
    def post(self, request, pk: int):
        channel = found(Channel, pk)
        with service_errors():
            secret = services.channel_secret_rotate(channel=channel)
        answer = Response({"secret": secret})
        answer["Cache-Control"] = "no-store"
        return answer


class ChannelDeliveriesView(ApiView):
    serializer_class = DeliverySerializer

    @extend_schema(
        operation_id="notification_channels_deliveries",
        summary="A channel's delivery log, newest first (admins)",
        description="Each message with its tries, their outcomes and the next try, if any.",
        responses=responses({200: DeliverySerializer(many=True)}, 404),
    )
    def get(self, request, pk: int):
        channel = found(Channel, pk)
        deliveries = channel.deliveries.prefetch_related("tries").order_by("-created_at", "-id")
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
