"""Notification channels in the console (/notifications/): admins (superusers) only.

A webhook's signing secret is rendered into the one response that creates it (or replaces it):
never put in a message, the session or a log, and that response is not cached."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from rollouts.forms.notifications import ChannelForm
from rollouts.models import Channel, ChannelKind, DeliveryState
from rollouts.services import notifications as services
from rollouts.services.errors import ActionRefused
from rollouts.views.access import console_view

FORM_TEMPLATE = "rollouts/notifications/channel_form.html"
SECRET_TEMPLATE = "rollouts/notifications/secret.html"


def admin_view(methods: tuple[str, ...] = ("GET",)) -> Callable:
    """Signed in (console_view) and a superuser (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @console_view(methods=methods)
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_superuser:
                raise PermissionDenied("Only an admin manages notifications.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@admin_view()
def channel_list(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SUCCEEDED)),
        failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        waiting=Count(
            "deliveries",
            filter=Q(deliveries__state__in=(DeliveryState.PENDING, DeliveryState.SENDING)),
        ),
    ).order_by("name")
    return render(request, "rollouts/notifications/channels.html", {"channels": channels})


@admin_view(methods=("GET", "POST"))
@sensitive_post_parameters("apprise_url")
@sensitive_variables("channel", "secret")
def channel_create(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel, secret = services.channel_create(**form.service_fields(), actor=request.user)
        except ValidationError as exc:
            form.errors_apply(exc)
        else:
            if secret:
                return _secret_page(request, channel, secret, created=True)
            messages.success(request, f"Channel “{channel.name}” created.")
            return redirect("notification_channels")
    return render(request, FORM_TEMPLATE, {"form": form, "kinds": ChannelKind})


@admin_view(methods=("GET", "POST"))
@sensitive_post_parameters("apprise_url")
@sensitive_variables("channel")
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    if request.method != "POST":
        form = ChannelForm(initial=ChannelForm.initial_of(channel), channel=channel)
    else:
        form = ChannelForm(request.POST, initial=ChannelForm.initial_of(channel), channel=channel)
        if form.is_valid():
            try:
                services.channel_update(channel=channel, **form.service_fields())
            except ValidationError as exc:
                form.errors_apply(exc)
            else:
                messages.success(request, f"Channel “{channel.name}” saved.")
                return redirect("notification_channels")
    context = {"form": form, "channel": channel, "kinds": ChannelKind}
    return render(request, FORM_TEMPLATE, context)


@admin_view(methods=("POST",))
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    services.channel_delete(channel=channel)
    messages.success(request, f"Channel “{channel.name}” deleted with its delivery log.")
    return redirect("notification_channels")


@admin_view(methods=("POST",))
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    services.channel_test(channel=channel, actor=request.user)
    messages.success(request, f"Test message queued for “{channel.name}”: its try shows below.")
    return redirect("notification_deliveries", pk=channel.pk)


@admin_view(methods=("POST",))
@sensitive_variables("channel", "secret")
def channel_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    try:
        secret = services.channel_secret_rotate(channel=channel)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("notification_channels")
    return _secret_page(request, channel, secret, created=False)


@admin_view()
def channel_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk)
    deliveries = channel.deliveries.prefetch_related("tries").order_by("-created_at", "-id")
    page = Paginator(deliveries, 25).get_page(request.GET.get("page"))
    context = {"channel": channel, "deliveries": page}
    return render(request, "rollouts/notifications/deliveries.html", context)


def _secret_page(request, channel: Channel, secret: str, *, created: bool) -> HttpResponse:
    context = {"channel": channel, "secret": secret, "created": created}
    response = render(request, SECRET_TEMPLATE, context)
    response["Cache-Control"] = "no-store"
    return response
