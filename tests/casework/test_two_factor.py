"""Two-factor sign-in (issue 17; casework.two_factor, casework.sign_in_views): required
for leads, auditors and administrators, optional for frontline staff; set-up with a QR
code and recovery codes shown once; recovery codes; wrong codes towards the lockout; an
administrator's reset; a session without its second factor is no sign-in."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.audit import AuditVerb
from casework.models import AuditEvent
from casework.roles import Role
from casework.two_factor import PENDING, VERIFIED, two_factor_verify
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import totp_code, totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_otp_delay(settings):
    # django-otp's own growing delay after a wrong code; the lockout is axes' (tested here).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def worker(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", Role.ADMINISTRATOR, [])


def password(client, username, **extra):
    return client.post("/sign-in/", {"username": username, "password": DEMO_PASSWORD, **extra})


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def code_for_key(key_text: str) -> str:
    """What an app given the key typed in from the page shows now."""
    key = base64.b32decode(key_text.replace(" ", ""))
    totp = TOTP(key)
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.mark.parametrize(
    "role", [Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR, Role.ADMINISTRATOR], ids=str
)
def test_after_the_password_these_roles_are_asked_for_a_code_before_they_are_in(
    client, make_user, role
):
    user = make_user("someone", role, ["north"] if "lead" in role else [])
    totp_device(user)

    response = password(client, "someone")

    assert (response.status_code, response.url) == (302, "/sign-in/code/")
    assert not signed_in(client)
    assert not AuditEvent.objects.filter(verb=AuditVerb.USER_SIGNED_IN).exists()
    page = client.get("/sign-in/code/")
    assert "Enter the code from your authenticator app" in page.content.decode()

    done = client.post("/sign-in/code/", {"code": totp_code(user)})

    assert (done.status_code, done.url) == (302, "/")
    assert signed_in(client)
    assert AuditEvent.objects.filter(verb=AuditVerb.USER_SIGNED_IN, actor=user).count() == 1


def test_the_code_page_keeps_where_they_were_going(client, lead):
    totp_device(lead)
    password(client, "lead.north", next="/cases/?q=x")

    done = client.post("/sign-in/code/", {"code": totp_code(lead)})

    assert done.url == "/cases/?q=x"


def test_frontline_staff_need_no_code_unless_the_setting_says_so(client, worker, settings):
    settings.SAFECASE_2FA_FRONTLINE = False
    response = password(client, "frontline.north")
    assert response.url == "/"
    assert signed_in(client)

    client.logout()
    settings.SAFECASE_2FA_FRONTLINE = True
    response = password(client, "frontline.north")
    assert response.url == "/sign-in/set-up/"
    assert not signed_in(client)


def test_a_wrong_or_empty_code_is_a_gov_uk_error_and_audited(client, lead):
    totp_device(lead)
    password(client, "lead.north")

    empty = client.post("/sign-in/code/", {"code": ""})
    wrong = client.post("/sign-in/code/", {"code": "123 456"})

    assert empty.status_code == wrong.status_code == 400
    assert "Enter the code from your app" in empty.content.decode()
    page = wrong.content.decode()
    assert "There is a problem" in page
    assert '<a href="#code">Enter a correct code</a>' in page
    assert not signed_in(client)
    failed = AuditEvent.objects.get(verb=AuditVerb.TWO_FACTOR_FAILED)
    assert failed.data == {"username": "lead.north"}


def test_wrong_codes_count_towards_the_lockout(client, lead, settings):
    totp_device(lead)
    assert settings.AXES_FAILURE_LIMIT == 5
    password(client, "lead.north")
    statuses = [client.post("/sign-in/code/", {"code": "000000"}).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 400, 429]
    # Locked out: neither the right code nor the right password gets in now.
    assert password(client, "lead.north").status_code == 429
    assert client.post("/sign-in/code/", {"code": totp_code(lead)}).url == "/sign-in/"
    assert not signed_in(client)


def test_the_password_step_expires(client, lead):
    totp_device(lead)
    password(client, "lead.north")
    session = client.session
    session[PENDING] = {**session[PENDING], "at": int(time.time()) - 11 * 60}
    session.save()

    response = client.post("/sign-in/code/", {"code": totp_code(lead)})

    assert response.url == "/sign-in/"
    assert not signed_in(client)


def test_setting_up_an_app_then_recovery_codes_shown_once(client, lead):
    response = password(client, "lead.north")
    assert response.url == "/sign-in/set-up/"

    page = client.get("/sign-in/set-up/").content.decode()
    qr = page.split('data-section="qr-code">')[1].split("</svg>")[0]
    # Drawn here as SVG: no script, nothing from another site.
    assert qr.startswith("<svg")
    assert "<title>QR code to scan with your authenticator app</title>" in qr
    assert "<script" not in qr
    assert "http" not in qr.replace("http://www.w3.org/2000/svg", "")
    key = re.search(r'data-section="manual-key"><code>([A-Z2-7 ]+)</code>', page).group(1)
    wrong = client.post("/sign-in/set-up/", {"code": "000000"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.exists()

    done = client.post("/sign-in/set-up/", {"code": code_for_key(key)})

    assert done.url == "/sign-in/recovery-codes/"
    codes_page = client.get(done.url).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    # Shown once.
    assert client.get("/sign-in/recovery-codes/").status_code == 302
    assert signed_in(client)
    assert AuditEvent.objects.filter(verb=AuditVerb.TWO_FACTOR_ENROLLED, actor=lead).exists()


def test_a_recovery_code_signs_in_once(client, lead):
    totp_device(lead)
    StaticToken.objects.create(
        device=lead.staticdevice_set.create(name="Recovery codes"), token="abcd2345"
    )
    password(client, "lead.north")

    response = client.post("/sign-in/recovery-code/", {"code": "ABCD-2345"})

    assert response.status_code == 302
    assert signed_in(client)
    used = AuditEvent.objects.get(verb=AuditVerb.TWO_FACTOR_RECOVERY_USED)
    assert used.data["recovery_codes_left"] == 0
    client.logout()
    password(client, "lead.north")
    again = client.post("/sign-in/recovery-code/", {"code": "abcd2345"})
    assert again.status_code == 400
    assert "Enter a correct recovery code" in again.content.decode()


def test_a_code_works_once(lead):
    device = totp_device(lead)
    code = totp_code(lead)

    assert two_factor_verify(user=lead, code=code, request=None)
    assert not two_factor_verify(user=lead, code=code, request=None)
    device.refresh_from_db()
    assert device.last_t >= 0


def test_frontline_staff_may_set_it_up_and_are_then_asked_for_a_code(client, worker):
    client.force_login(worker)
    account = client.get("/account/two-factor/").content.decode()
    assert "Set up two-factor sign-in" in account
    page = client.get("/sign-in/set-up/").content.decode()
    key = re.search(r'data-section="manual-key"><code>([A-Z2-7 ]+)</code>', page).group(1)
    done = client.post("/sign-in/set-up/", {"code": code_for_key(key)})
    assert done.url == "/sign-in/recovery-codes/"
    client.logout()

    response = password(client, "frontline.north")

    assert response.url == "/sign-in/code/"


def test_a_session_without_its_second_factor_is_no_sign_in(client, lead):
    client.force_login(lead)
    session = client.session
    del session[VERIFIED]
    session.save()

    assert client.get("/").status_code == 302
    assert client.get("/api/v1/cases/").status_code in (401, 403)


def test_once_checked_the_page_is_given_the_user_itself_not_a_lazy_proxy(client, lead):
    """TwoFactorMiddleware replaces Django's lazy ``request.user`` with what it read, so
    the rest of the request does not go through the proxy (docs/performance.md)."""
    client.force_login(lead)
    session = client.session
    session[VERIFIED] = int(time.time())
    session.save()

    signed_in = client.get("/").wsgi_request.user
    assert type(signed_in) is type(lead)
    assert signed_in.pk == lead.pk

    client.logout()
    signed_out = client.get("/accessibility/").wsgi_request.user
    assert type(signed_out) is AnonymousUser


def test_the_django_admin_sign_in_goes_through_the_service_sign_in(client):
    response = client.get("/django-admin/login/?next=/django-admin/")

    assert response.status_code == 302
    assert response.url.startswith("/sign-in/?next=")


def test_an_administrator_resets_someones_two_factor_with_a_reason(client, lead, admin_user):
    totp_device(lead)
    client.force_login(admin_user)
    page = client.get(f"/staff/people/{lead.pk}/").content.decode()
    assert "Reset their two-factor sign-in" in page

    response = client.post(
        f"/staff/people/{lead.pk}/reset-two-factor/", {"reason": "Phone lost, called back"}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=lead).exists()
    event = AuditEvent.objects.get(verb=AuditVerb.TWO_FACTOR_RESET)
    assert (event.actor, event.data["reason"]) == (admin_user, "Phone lost, called back")
    client.logout()
    assert password(client, "lead.north").url == "/sign-in/set-up/"


def test_an_administrator_cannot_reset_their_own_two_factor(client, admin_user):
    totp_device(admin_user)
    client.force_login(admin_user)

    response = client.post(f"/staff/people/{admin_user.pk}/reset-two-factor/", {"reason": "x"})

    assert response.status_code == 400
    assert "You cannot reset your own two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    assert not AuditEvent.objects.filter(verb=AuditVerb.TWO_FACTOR_RESET).exists()


def test_only_administrators_reset_two_factor(client, lead, make_user):
    other = make_user("lead.other", Role.LEAD, ["north"])
    totp_device(other)
    client.force_login(lead)

    response = client.post(f"/staff/people/{other.pk}/reset-two-factor/", {"reason": "x"})

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=other).exists()
