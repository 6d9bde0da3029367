"""Request and response rules that hold for every page and API endpoint."""

import re
import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequireContentLength:
    """A body sent without Content-Length (`Transfer-Encoding: chunked`) is refused with 411.

    Django reads such a body as empty: an action's comment or reason would silently be lost,
    and an API call would act on defaults the caller never sent. First in the chain, before
    anything reads the body (CSRF reads a form's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in _BODY_METHODS
            and request.META.get("HTTP_TRANSFER_ENCODING")
            and not request.META.get("CONTENT_LENGTH")
        ):
            return _length_required(request)
        return self.get_response(request)


def _length_required(request) -> HttpResponse:
    detail = "Send the body with a Content-Length header; chunked bodies are not accepted."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "code": "length_required"}, status=411)
    return HttpResponse(detail, status=411, content_type="text/plain; charset=utf-8")


class SessionLifetime:
    """A person is signed out after SESSION_IDLE_MINUTES without a request of theirs, and
    SESSION_MAX_HOURS after signing in whatever they do.

    The idle limit is the session's expiry, moved forward on each request (the database and the
    cookie both forget the session when it passes). The live page's background polls
    (`HX-Trigger: poller`) do not move it: an open tab is not a person at the keyboard. It
    moves at most once every EXTEND_EVERY seconds, so a page view does not write the session
    row each time (the idle limit is kept to within that minute)."""

    KEY = "_signed_in_at"
    EXTENDED = "_idle_extended_at"
    EXTEND_EVERY = 60.0

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(self.KEY)
            if started is not None and time.time() - started >= settings.SESSION_MAX_SECONDS:
                logout(request)  # the view then sees a signed-out visitor: the sign-in page
            elif not _background_poll(request):
                self._extend(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self.KEY not in request.session:
            request.session[self.KEY] = time.time()  # just signed in
            self._extend(request, now=True)
        return response

    def _extend(self, request, *, now: bool = False) -> None:
        clock = time.time()
        if not now and clock - request.session.get(self.EXTENDED, 0.0) < self.EXTEND_EVERY:
            return
        request.session[self.EXTENDED] = clock
        started = request.session.get(self.KEY, clock)
        left = started + settings.SESSION_MAX_SECONDS - clock
        request.session.set_expiry(max(1, int(min(settings.SESSION_IDLE_SECONDS, left))))


def _background_poll(request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Trigger") == "poller"
    )


# Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) in
# UTF-8. In a plan, rollout or person's name they can make text read differently from what it
# is ("Trojan Source"); no template writes one, so every one on a page came from data.
_BIDI_CONTROLS = re.compile(rb"\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
_REPLACEMENT = "\N{REPLACEMENT CHARACTER}".encode()


class NeutraliseBidiControls:
    """Every HTML page shows a bidirectional control character in data as U+FFFD, visibly,
    instead of letting it reorder the text around it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and response.charset.lower() in ("utf-8", "utf8")
        ):
            content = _BIDI_CONTROLS.sub(_REPLACEMENT, response.content)
            if content != response.content:
                response.content = content
        return response
