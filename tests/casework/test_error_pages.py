"""The error pages (403, 404, 500, the expired form, the sign-in lockout) and the public
accessibility statement, rendered as production renders them (DEBUG off).

This module is also the URL configuration of the tests marked with it: the project's
routes plus views that fail in each way, so the pages are reached through the real
handlers (``handler403``, ``handler404``, ``handler500``).
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import get_resolver, path
from django.views import defaults

from casework.roles import Role
from config.urls import urlpatterns as project_urlpatterns
from tests.conftest import DEMO_PASSWORD


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal detail: role check failed for case SC-1")


def _missing(request: HttpRequest) -> HttpResponse:
    raise Http404("internal detail: case SC-1 is hidden from this user")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("internal detail: the database said no")


urlpatterns = [
    path("test-errors/403/", _forbidden),
    path("test-errors/404/", _missing),
    path("test-errors/500/", _broken),
    *project_urlpatterns,
]
THIS = "tests.casework.test_error_pages"
pytestmark = pytest.mark.urls(THIS)


def html(response) -> str:
    return response.content.decode()


def in_the_layout(page: str) -> None:
    """The shared layout: skip link, header with the service name, footer links."""
    assert '<a href="#main-content" class="govuk-skip-link"' in page
    assert "govuk-generic-header__homepage-link" in page
    assert f">{django_settings.SAFECASE_SERVICE_NAME}</a>" in page
    assert 'href="/accessibility/">Accessibility statement</a>' in page
    assert 'href="/static/css/app.css"' in page


@pytest.fixture
def lead_client(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    return client


def test_tests_run_with_debug_off_so_the_error_pages_are_shown(settings):
    assert settings.DEBUG is False


@pytest.mark.django_db
def test_404_is_in_the_layout_with_a_next_step_and_no_detail(lead_client):
    for url in ("/test-errors/404/", "/no-such-page/", "/cases/SC-2026-999999/"):
        response = lead_client.get(url)
        page = html(response)
        assert response.status_code == 404, url
        in_the_layout(page)
        assert "<title>Page not found – " in page
        assert '<h1 class="govuk-heading-l">Page not found</h1>' in page
        assert '<a href="/" class="govuk-link">Go to your home page</a>' in page
        assert "internal detail" not in page
        assert "lead.north" in page  # signed in: the header says who


@pytest.mark.django_db
def test_404_signed_out_is_in_the_layout_too(client):
    response = client.get("/test-errors/404/")
    assert response.status_code == 404
    in_the_layout(html(response))


@pytest.mark.django_db
def test_403_is_in_the_layout_with_a_next_step_and_no_detail(lead_client):
    response = lead_client.get("/test-errors/403/")
    page = html(response)
    assert response.status_code == 403
    in_the_layout(page)
    assert "You do not have permission to do this" in page
    assert "contact an administrator" in page
    assert '<a href="/" class="govuk-link">Go to your home page</a>' in page
    assert "internal detail" not in page


@pytest.mark.django_db
def test_500_is_the_standalone_page_through_handler500(make_user):
    resolver = get_resolver(THIS)
    view = resolver.resolve_error_handler(500)
    assert view is defaults.server_error
    browser = Client(raise_request_exception=False)
    browser.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    response = browser.get("/test-errors/500/")
    page = html(response)
    assert response.status_code == 500
    assert "<title>Sorry, there is a problem with the service – Safecase</title>" in page
    assert '<h1 class="govuk-heading-l">Sorry, there is a problem with the service</h1>' in page
    assert "check whether it was saved before you enter it again" in page
    assert 'href="/static/css/app.css"' in page
    assert 'href="/accessibility/">Accessibility statement</a>' in page
    assert "internal detail" not in page


def test_500_renders_without_a_request_context_or_the_database():
    """No ``db`` fixture: any query would fail this test. The page needs neither the
    request's context processors nor the URL resolver."""
    request = RequestFactory().get("/anything/")
    response = defaults.server_error(request)
    page = html(response)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "{%" not in page


@pytest.mark.django_db
def test_an_expired_form_is_403_in_the_layout_and_says_the_draft_is_kept(make_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("frontline.north", Role.FRONTLINE, ["north"]))
    response = browser.post("/concerns/new/cse/", {"summary": "No token"})
    page = html(response)
    assert response.status_code == 403
    in_the_layout(page)
    assert "<title>Your form has expired – Safecase</title>" in page
    assert "Go back, reload the page and try again" in page
    assert "frontline.north" in page  # the header still knows who is signed in


@pytest.mark.django_db
def test_the_lockout_page_is_in_the_layout(client, make_user, settings):
    make_user("lead.north", Role.LEAD, ["north"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/sign-in/", {"username": "lead.north", "password": "not-it"})
    response = client.post("/sign-in/", {"username": "lead.north", "password": DEMO_PASSWORD})
    assert response.status_code == 429
    in_the_layout(html(response))
    assert "If you did not make these attempts, tell an administrator" in html(response)


# The accessibility statement ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_accessibility_statement_is_public_and_linked_from_the_sign_in_page(client):
    assert 'href="/accessibility/">Accessibility statement</a>' in html(client.get("/sign-in/"))
    response = client.get("/accessibility/")
    page = html(response)
    assert response.status_code == 200
    in_the_layout(page)
    assert '<h1 class="govuk-heading-l">Accessibility statement for Safecase</h1>' in page
    for heading in (
        "How accessible this service is",
        "Feedback and contact information",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
    ):
        assert f">{heading}</h" in page, heading
    assert "partially compliant" in page
    assert "Web Content Accessibility Guidelines version 2.2</a> AA standard" in page
    assert "axe-core" in page
    assert "keyboard only" in page
    assert "Referral PDFs" in page
    assert "workflow diagram" in page
    assert "Equality Advisory and Support Service (EASS)" in page
    assert "contact your service desk." in page
    assert "This statement was prepared on 26 November 2026." in page


@pytest.mark.django_db
def test_the_accessibility_contact_and_date_are_set_per_deployment(client, settings):
    settings.SAFECASE_ACCESSIBILITY_CONTACT = "the ICT service desk on extension 4321"
    settings.SAFECASE_ACCESSIBILITY_PREPARED = "2027-01-15"
    page = html(client.get("/accessibility/"))
    assert "contact the ICT service desk on extension 4321." in page
    assert "This statement was prepared on 15 January 2027." in page
    settings.SAFECASE_ACCESSIBILITY_PREPARED = "not a date"
    page = html(client.get("/accessibility/"))
    assert "prepared on the date this version of the service was released" in page


@pytest.mark.django_db
def test_signed_in_users_see_the_statement_with_their_header(client, make_user):
    client.force_login(make_user("auditor", Role.AUDITOR, []))
    page = html(client.get("/accessibility/"))
    assert "auditor" in page
    assert "Accessibility statement for Safecase" in page
