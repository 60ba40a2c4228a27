"""The page shell: sign-in, lockout, sign-out, home, error pages and the built stylesheet."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.urls import path, reverse

from casework.roles import Role
from config.urls import urlpatterns as project_urlpatterns
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import complete_sign_in

SIGN_IN_URL = "/sign-in/"
# A literal, not imported from casework.signals: importing it would connect the receiver
# and hide a missing CaseworkConfig.ready().
SIGNED_OUT_MESSAGE = "You have been signed out"
WRONG_CREDENTIALS = "Enter a correct username and password. Both are case-sensitive."
BUILT_CSS = Path(django_settings.BASE_DIR) / "static_build" / "assets" / "css" / "app.css"


# Views that fail on purpose, served only by the tests marked with pytest.mark.urls(__name__).
def _hidden_case(request: HttpRequest) -> HttpResponse:
    raise Http404("case 42 exists but this user may not see it")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal reason: lead of another team")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("deliberate failure")


urlpatterns = [
    *project_urlpatterns[:-1],
    path("test/hidden-case/", _hidden_case),
    path("test/forbidden/", _forbidden),
    path("test/broken/", _broken),
    project_urlpatterns[-1],
]


class _AssetRefs(HTMLParser):
    """Collects the URLs a page loads assets from (stylesheets, icons, scripts, images)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])
        if tag in {"script", "img", "source"} and attributes.get("src"):
            self.urls.append(attributes["src"])


def asset_urls(html: str) -> list[str]:
    parser = _AssetRefs()
    parser.feed(html)
    return parser.urls


def sign_in(client, username: str, password: str, **extra):
    """Sign in as a person would: the password, then the code when asked for one
    (casework.two_factor; its own pages are tested in test_two_factor.py)."""
    response = client.post(SIGN_IN_URL, {"username": username, "password": password, **extra})
    return complete_sign_in(client, response, username)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def without_csrf_tokens(html: str) -> str:
    """The page with its per-request CSRF tokens blanked, so two renders can be compared."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


# Signing in ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "team_slugs", "sentence"),
    [
        pytest.param(
            Role.FRONTLINE, ["north"], "You are signed in as Frontline staff.", id="frontline"
        ),
        pytest.param(
            Role.LEAD,
            ["north"],
            "You are signed in as a Safeguarding lead for North locality team.",
            id="lead",
        ),
        pytest.param(
            Role.PREVENT_LEAD,
            ["north"],
            "You are signed in as a Prevent-cleared lead for North locality team.",
            id="prevent",
        ),
        pytest.param(Role.AUDITOR, [], "You are signed in as an Auditor.", id="auditor"),
        pytest.param(
            Role.ADMINISTRATOR, [], "You are signed in as an Administrator.", id="administrator"
        ),
    ],
)
def test_every_role_signs_in_and_is_greeted_by_role_on_home(
    client, make_user, role, team_slugs, sentence
):
    user = make_user(f"{role.value}.user", role, team_slugs)
    user.first_name, user.last_name = "Robin", "Example"
    user.save()

    response = sign_in(client, user.username, DEMO_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_signed_in(client)
    home = client.get(response.url)
    assert home.status_code == 200
    assert home.templates[0].name == "casework/home.html"
    page = home.content.decode()
    assert "Welcome, Robin Example" in page
    assert sentence in page
    assert f'data-role="{role.value}"' in page
    # The header names the user and their role, with a POST sign-out.
    assert '<span class="app-header__user-role">' + role.label + "</span>" in page
    assert f'<form method="post" action="{reverse("logout")}"' in page


@pytest.mark.parametrize(
    ("role", "line"),
    [
        (Role.FRONTLINE, "raise safeguarding concerns, follow the cases you raised"),
        (Role.LEAD, "triage, allocate and refer your teams’ cases"),
        (Role.PREVENT_LEAD, "including Prevent cases"),
        (Role.AUDITOR, "read every case and its history"),
        (Role.ADMINISTRATOR, "manage users, teams, partner agencies, rules and bank holidays"),
    ],
)
def test_home_says_what_each_role_can_do(client, make_user, role, line):
    client.force_login(make_user("someone", role, ["north"]))

    page = client.get(reverse("home")).content.decode()

    assert line in page


def test_home_for_a_user_without_a_role_says_to_contact_an_administrator(client, db):
    user = get_user_model().objects.create_user(username="newstarter", password=DEMO_PASSWORD)
    client.force_login(user)

    page = client.get(reverse("home")).content.decode()

    assert "You do not have a role yet." in page
    assert "Contact an administrator" in page
    assert "You are signed in as" not in page


def test_home_links_only_to_pages_that_exist(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    page = client.get(reverse("home")).content.decode()

    hrefs = set(re.findall(r'<a [^>]*href="([^"]+)"', page)) - {"#main-content"}
    assert {reverse("home"), "/concerns/new/", "/workflows/"} <= hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_sign_in_follows_next(client, make_user):
    make_user("lead.north", Role.LEAD, ["north"])

    response = sign_in(client, "lead.north", DEMO_PASSWORD, next="/?from=link")

    assert response.status_code == 302
    assert response.url == "/?from=link"


def test_signed_in_user_visiting_sign_in_goes_home(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    response = client.get(SIGN_IN_URL)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_anonymous_home_redirects_to_sign_in(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == f"{SIGN_IN_URL}?next=/"


def test_sign_in_page_is_a_govuk_form_with_autocomplete(client, db):
    response = client.get(SIGN_IN_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Sign in – Safecase</title>" in page
    assert '<label class="govuk-label govuk-label--s" for="id_username">Username</label>' in page
    assert '<label class="govuk-label govuk-label--s" for="id_password">Password</label>' in page
    assert 'autocomplete="username"' in page
    assert 'autocomplete="current-password"' in page
    assert "govuk-error-summary" not in page


# Failed sign-in and lockout ------------------------------------------------------------------


def test_wrong_password_shows_the_error_summary_and_leaves_the_user_anonymous(client, make_user):
    make_user("lead.north", Role.LEAD, ["north"])

    response = sign_in(client, "lead.north", "not-the-password")

    page = response.content.decode()
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert not response.wsgi_request.user.is_authenticated
    assert "<title>Error: Sign in – Safecase</title>" in page
    assert 'class="govuk-error-summary"' in page
    # In the summary, linking to the field, and inline above the field.
    assert f'<a href="#id_username">{WRONG_CREDENTIALS}</a>' in page
    assert f'<span class="govuk-visually-hidden">Error:</span> {WRONG_CREDENTIALS}' in page
    # The username is kept so it can be corrected; the password never comes back.
    assert 'value="lead.north"' in page
    assert "not-the-password" not in page


def test_unknown_username_gets_the_same_message_as_a_wrong_password(client, make_user):
    make_user("lead.north", Role.LEAD, ["north"])

    wrong_password = sign_in(client, "lead.north", "not-the-password").content.decode()
    unknown_user = sign_in(client, "nobody.here", "not-the-password").content.decode()

    def summary(page: str) -> str:
        found = re.search(r'<ul class="govuk-list govuk-error-summary__list">.*?</ul>', page, re.S)
        return found[0]

    assert summary(wrong_password) == summary(unknown_user)
    assert WRONG_CREDENTIALS in summary(unknown_user)


def test_inactive_account_gets_the_same_message_as_a_wrong_password(client, make_user):
    user = make_user("lead.north", Role.LEAD, ["north"])
    user.is_active = False
    user.save()

    response = sign_in(client, "lead.north", DEMO_PASSWORD)

    assert response.status_code == 200
    assert not is_signed_in(client)
    assert WRONG_CREDENTIALS in response.content.decode()
    assert "inactive" not in response.content.decode().lower()


def test_empty_fields_ask_for_username_and_password(client, db):
    page = sign_in(client, "", "").content.decode()

    assert '<a href="#id_username">Enter your username</a>' in page
    assert '<a href="#id_password">Enter your password</a>' in page
    assert WRONG_CREDENTIALS not in page


def test_correct_password_still_works_one_failure_below_the_limit(client, make_user):
    make_user("lead.north", Role.LEAD, ["north"])
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "lead.north", "not-the-password").status_code == 200

    response = sign_in(client, "lead.north", DEMO_PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_after_the_failure_limit_the_correct_password_is_refused_with_the_lockout_page(
    client, make_user, settings
):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    make_user("lead.north", Role.LEAD, ["north"])
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "lead.north", "not-the-password")

    response = sign_in(client, "lead.north", DEMO_PASSWORD)

    page = response.content.decode()
    assert response.status_code == 429  # django-axes' AXES_HTTP_RESPONSE_CODE default
    assert not is_signed_in(client)
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert '<h1 class="govuk-heading-l">Too many failed sign-in attempts</h1>' in page
    assert "You can try again in 30 minutes." in page
    assert "an administrator can unlock the account" in page


def test_lockout_without_a_cooloff_says_an_administrator_must_unlock(client, make_user, settings):
    settings.AXES_COOLOFF_TIME = None
    make_user("lead.north", Role.LEAD, ["north"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "lead.north", "not-the-password")

    response = sign_in(client, "lead.north", DEMO_PASSWORD)

    assert response.status_code == 429
    assert "An administrator needs to unlock the account" in response.content.decode()
    assert "try again in" not in response.content.decode()


# Signing out ---------------------------------------------------------------------------------


def test_sign_out_by_post_signs_out_and_says_so_on_the_sign_in_page(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == SIGN_IN_URL
    assert not is_signed_in(client)
    page = client.get(response.url).content.decode()
    assert "govuk-notification-banner--success" in page
    assert f'<p class="govuk-notification-banner__heading">{SIGNED_OUT_MESSAGE}</p>' in page
    # Shown once only.
    assert SIGNED_OUT_MESSAGE not in client.get(SIGN_IN_URL).content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_sign_out_by_get_is_refused(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert is_signed_in(client)


def test_logout_without_the_messages_middleware_does_not_fail(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    client.logout()

    assert not is_signed_in(client)


# The page template ---------------------------------------------------------------------------


def test_base_template_has_the_govuk_shell_and_the_phase_banner(client, make_user, settings):
    settings.SAFECASE_PHASE = "alpha"
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    page = client.get(reverse("home")).content.decode()

    assert '<html lang="en" class="govuk-template">' in page
    assert '<body class="govuk-template__body"' in page
    # The body classes come from a file, not an inline script (the CSP allows none).
    assert '<script src="/static/js/js-enabled.js"></script>' in page
    assert (
        "govuk-frontend-supported" in (BUILT_CSS.parent.parent / "js" / "js-enabled.js").read_text()
    )
    assert '<a href="#main-content" class="govuk-skip-link"' in page
    assert 'id="main-content"' in page
    assert "<title>Home – Safecase</title>" in page
    assert 'class="govuk-phase-banner' in page
    assert '<strong class="govuk-tag govuk-phase-banner__content__tag">Alpha</strong>' in page
    assert "This is a new service." in page
    assert 'aria-current="page"' in page  # Home is the current navigation item
    assert '<script type="module" src="/static/js/app.js"></script>' in page


def test_no_phase_banner_once_the_service_is_live(client, db, settings):
    settings.SAFECASE_PHASE = ""

    page = client.get(SIGN_IN_URL).content.decode()

    assert "govuk-phase-banner" not in page


def test_base_template_loads_no_external_assets(client, make_user):
    anonymous_page = client.get(SIGN_IN_URL).content.decode()
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    signed_in_page = client.get(reverse("home")).content.decode()

    for page in (anonymous_page, signed_in_page):
        urls = asset_urls(page)
        assert "/static/css/app.css" in urls
        assert "/static/js/app.js" in urls
        assert [u for u in urls if re.match(r"^(https?:)?//", u)] == []
    assert "crown" not in signed_in_page.lower()
    assert "crest" not in signed_in_page.lower()


# Error pages ---------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_404_is_the_same_page_for_missing_and_hidden(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    missing = client.get("/no-such-page/")
    hidden = client.get("/test/hidden-case/")

    assert missing.status_code == hidden.status_code == 404
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in missing.content.decode()
    assert "case 42" not in hidden.content.decode()
    assert without_csrf_tokens(missing.content.decode()) == without_csrf_tokens(
        hidden.content.decode()
    )


@pytest.mark.urls(__name__)
def test_403_is_in_the_design_and_keeps_the_reason_to_itself(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))

    response = client.get("/test/forbidden/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "You do not have permission to do this" in page
    assert 'class="govuk-template"' in page
    assert "lead of another team" not in page


@pytest.mark.urls(__name__)
def test_500_page_renders_without_a_request_context(client, db):
    client.raise_request_exception = False

    response = client.get("/test/broken/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "/static/css/app.css" in asset_urls(page)
    assert "deliberate failure" not in page


def test_500_template_needs_no_context_and_loads_no_external_assets():
    page = loader.get_template("500.html").render()

    assert 'class="govuk-template"' in page
    assert [u for u in asset_urls(page) if re.match(r"^(https?:)?//", u)] == []


# The built assets ----------------------------------------------------------------------------


@pytest.fixture
def built_css() -> str:
    if not BUILT_CSS.exists():
        pytest.skip(f"{BUILT_CSS} is not built: run `make assets` (make test builds it first)")
    return BUILT_CSS.read_text()


def test_built_css_uses_the_system_font_and_never_gds_transport(built_css):
    assert "GDS Transport" not in built_css
    assert "@font-face" not in built_css
    assert 'font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif' in built_css


def test_built_css_has_no_crown_and_every_image_it_uses_is_shipped(built_css):
    urls = re.findall(r"url\(\s*[\"']?([^\"')]+)", built_css)
    files = [u for u in urls if not u.startswith("data:")]

    assert files, "expected MOJ Frontend's icons to be referenced"
    assert [u for u in files if re.search(r"crown|crest", u, re.I)] == []
    for url in files:
        assert not re.match(r"^(https?:)?//", url), url
        assert (BUILT_CSS.parent / url).resolve().is_file(), f"{url} is referenced but not built"


def test_built_assets_ship_no_fonts_and_no_crown(built_css):
    shipped = [p.relative_to(BUILT_CSS.parents[1]) for p in BUILT_CSS.parents[1].rglob("*")]

    assert [p for p in shipped if re.search(r"crown|crest|govuk-icon", str(p), re.I)] == []
    assert [p for p in shipped if p.suffix in {".woff", ".woff2", ".ttf", ".otf"}] == []
    for bundle in ("js/app.js", "js/govuk-frontend.min.js", "js/moj-frontend.min.js"):
        assert (BUILT_CSS.parents[1] / bundle).is_file(), bundle


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "can_raise"),
    [(Role.FRONTLINE, True), (Role.LEAD, True), (Role.AUDITOR, False), (Role.ADMINISTRATOR, False)],
)
def test_home_offers_raising_a_concern_only_to_roles_that_can(client, make_user, role, can_raise):
    client.force_login(make_user(f"user.{role}", role, ["north"]))
    page = client.get("/").content.decode()
    assert ('href="/concerns/new/"' in page) is can_raise
    # The Workflows page is for leads and administrators only (issue 19 point 5).
    assert ('href="/workflows/"' in page) is (role in (Role.LEAD, Role.ADMINISTRATOR))
