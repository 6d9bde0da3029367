"""Hostile strings, hypothesis strategies and checks shared by the bad-input tests.

The property tests post generated input through the Django test client, in process. The
function-scoped fixtures (db, client, users) are shared by the examples of one test on
purpose: each example runs in its own savepoint that is rolled back (`rolled_back`), so
examples never see each other's rows and the row counts before and after one compare exactly.
"""

import re
from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import urlencode

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from rollouts.models import ApiCall, Event, Plan, PlanStage, Rollout, RolloutStage

FORM = "application/x-www-form-urlencoded"

# Markup and payloads that must only ever come back escaped (or as plain JSON/CSV text).
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    '" hx-post="/logout/" hx-trigger="load',
]
HOSTILE = [
    *XSS,
    "{{ request.user.password }}{% debug %}",
    "'; DROP TABLE rollouts_plan; --",
    "1' OR '1'='1",
    "%s%n%x",
    "\u202eevil\u202c",
    "\x00",
    "nul\x00inside",
    "\x1b[31mred",
    "\r\n\r\n",
    "\t",
    " ",
    "",
    "Ω≈ç√∫˜µ≤≥÷ 日本語 עברית",
    "🚀" * 40,
    "ж" * 3000,
]
# Digits that str.isdigit() accepts but int() does not, and other number look-alikes.
NUMBERISH = ["", "²", "١٢", "0x10", " 7 ", "1e3", "NaN", "-0", "+5", "1_000", "９"]


def bounded(max_examples: int):
    """Hypothesis settings for these tests: few enough examples to stay fast, no deadline
    (the first request of a test warms up templates)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- Strategies: form fields (text that a browser can send) ------------------------------

any_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(min_size=100, max_size=2500),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=12),
)
number_text = st.one_of(
    st.integers(-5, 200).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(str),
    st.sampled_from(NUMBERISH),
    any_text,
)


def clean_text(*, max_size: int, prefix: str = "") -> st.SearchStrategy[str]:
    """Text a form accepts: no NUL, something left after stripping, within `max_size`."""
    return (
        st.text(max_size=max_size - len(prefix))
        .map(lambda s: prefix + s)
        .filter(lambda s: "\x00" not in s and s.strip() and len(s) <= max_size)
    )


# --- Strategies: JSON (what a pipeline can send; lone surrogates included, JSON allows them) --

json_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.text(min_size=90, max_size=2200),
    st.text(st.characters(categories=["Cs", "Cc"]), min_size=1, max_size=4),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    json_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def or_anything(plausible: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(plausible, plausible, json_values)


# --- Per-example isolation and checks -------------------------------------------------------

COUNTED = (Plan, PlanStage, Rollout, RolloutStage, Event, ApiCall)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@contextmanager
def rolled_back():
    """Run one example in a savepoint and undo whatever it wrote."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def form_post(client, url: str, data: dict):
    """POST as a browser does: urlencoded UTF-8 (no multipart rewriting of line breaks)."""
    return client.post(url, urlencode(data, doseq=True), content_type=FORM)


def form_errors(html: str) -> list[str]:
    """The error texts an editor page shows (for assertion messages)."""
    return re.findall(r'class="(?:field-error|form-errors)"[^>]*>(.*?)</', html, re.S)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


# Inline handlers the templates themselves write (none: the Content-Security-Policy would
# block them); anything else was injected.
KNOWN_HANDLERS: set[tuple[str, str]] = set()


def injected_markup(html: str) -> list[str]:
    """Elements and attributes in `html` that no template writes: an inline script, a script
    not from /static/, an event-handler attribute, an <img>/<iframe>/<object>, an htmx
    attribute that would post to the sign-out URL."""
    parser = _Elements()
    parser.feed(html)
    found = []
    for tag, attrs in parser.elements:
        if tag == "script" and not (attrs.get("src") or "").startswith("/static/"):
            found.append(f"<script {attrs}>")
        if tag in ("img", "iframe", "object", "embed"):
            found.append(f"<{tag} {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on") and (name, value) not in KNOWN_HANDLERS:
                found.append(f"<{tag} {name}={value!r}>")
            if name in ("hx-post", "hx-delete", "hx-put") and "logout" in (value or ""):
                found.append(f"<{tag} {name}={value!r}>")
    return found
