"""Content-Security-Policy (django-csp): every page sends it, no template writes an inline
script, event handler or htmx code for the browser to evaluate, and only the API docs pages
relax it (their styles)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_every_page_sends_the_policy(client, viewer):
    client.force_login(viewer)

    for url in (reverse("login"), reverse("dashboard"), reverse("history")):
        directives = policy(client.get(url))

        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"]
        assert directives["style-src-attr"] == ["'unsafe-inline'"]  # bar widths
        assert directives["default-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]


def test_the_sign_in_page_runs_no_inline_script(client):
    html = client.get(reverse("login")).content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert '"includeIndicatorStyles": false' in html  # htmx adds no <style> of its own
    assert '"allowEval": false' in html


class _Inline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on") or name.startswith("data-hx-on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("hx-trigger", "hx-vals", "hx-vars") and (
                "[" in (value or "") or "js:" in (value or "")
            ):
                self.found.append(f"<{tag} {name}={value!r}> (htmx would evaluate it)")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "script" and not dict(attrs).get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")

    handle_startendtag = handle_starttag


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_writes_inline_code(template):
    parser = _Inline()
    # Template tags may sit inside a start tag ({% if %} aria-current…) or be an attribute's
    # value (src="{% static … %}"): stand in a word for each, drop comments.
    text = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.S)
    parser.feed(re.sub(r"{%.*?%}", "tag", text, flags=re.S))

    assert parser.found == []


@pytest.mark.parametrize("name", ["api-docs", "api-redoc"])
def test_the_docs_pages_relax_only_their_styles(client, viewer, name):
    client.force_login(viewer)

    response = client.get(reverse(name))

    directives = policy(response)
    assert response.status_code == 200
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in directives["style-src"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode()) == []


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_comment_spans_lines(template):
    """Django's {# #} is a one-line comment: one spread over lines is printed on the page (as
    the dashboard once printed its poller's). Longer comments use {% comment %}."""
    open_comments = [
        number
        for number, line in enumerate(template.read_text().splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == []
