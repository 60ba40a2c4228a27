"""The Content-Security-Policy (issue 17, low findings: there was none). Scripts and styles
come only from Safecase's own files, so no template may hold an inline script, a style
element or attribute, or an event-handler attribute; every page of the access matrix is
rendered and checked for them too. The browser tests (tests/browser) run with the policy
on and fail on any violation reported in the console."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from tests.test_access_matrix import MATRIX, World

ROOT = Path(__file__).resolve().parent.parent
# Pages that are not Safecase's own design: the Django admin (superusers only) and the API
# docs (Swagger UI and Redoc write inline styles; their policy allows only that).
NOT_OURS = ("django-admin", "api:docs", "api:redoc")


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


class InlineFinder(HTMLParser):
    """Inline scripts, style elements, style attributes and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value for name, value in attrs}
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        if "style" in names:
            self.found.append(f"style attribute on <{tag}>")
        self.found.extend(f"{n} on <{tag}>" for n in names if re.fullmatch(r"on[a-z]+", n))


def inline_content(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


# Templates that no browser receives: WeasyPrint renders them into a PDF on the server
# (reports/exports.py), and the PDF's page rules live in its own <style>.
PDF_ONLY = frozenset({"templates/reports/committee_pack_pdf.html"})


def template_files() -> list[Path]:
    dirs = [ROOT / "templates"] + [
        ROOT / app / "templates" for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()
    ]
    found = (p for d in dirs if d.is_dir() for p in d.rglob("*.html"))
    return sorted(p for p in found if str(p.relative_to(ROOT)) not in PDF_ONLY)


def test_the_policy_forbids_inline_script_and_style_framing_and_plugins(client):
    response = client.get("/sign-in/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for values in policy.values():
        assert "'unsafe-inline'" not in values
        assert "'unsafe-eval'" not in values
        assert "*" not in values


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(path):
    assert inline_content(path.read_text()) == []


def test_the_finder_finds_each_kind():
    html = (
        '<script>x()</script><script src="/a.js"></script><style>p{}</style>'
        '<p style="color:red" onclick="x()">'
    )
    assert inline_content(html) == [
        "<script> without src",
        "<style>",
        "style attribute on <p>",
        "onclick on <p>",
    ]


@pytest.mark.django_db
def test_every_page_is_rendered_without_inline_script_or_style(client, teams):
    world = World()
    wrong = []
    for role in ("frontline", "lead", "auditor", "administrator"):
        client.force_login(world.users[role])
        for name, route in sorted(MATRIX.items()):
            if route.method != "get" or name in NOT_OURS:
                continue
            case = world.cases[role].get("raised") or world.cases[role]["same_team"]
            response = client.get(route.url(world, case if route.per_case else None))
            if "text/html" not in response.get("Content-Type", ""):
                continue
            for problem in inline_content(response.content.decode()):
                wrong.append(f"{role} {name}: {problem}")
            if "Content-Security-Policy" not in response:
                wrong.append(f"{role} {name}: no Content-Security-Policy")
    assert not wrong, "\n" + "\n".join(sorted(set(wrong)))


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_file_and_allow_only_inline_styles(client, make_user):
    from casework.roles import Role

    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    for url in ("/api/docs/", "/api/docs/redoc/"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert [p for p in inline_content(page) if "script" in p] == [], url
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
