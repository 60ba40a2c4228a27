"""Every way of setting a password runs AUTH_PASSWORD_VALIDATORS (issue 17, low findings):
at least 12 characters, not common, not like the username, not all digits, and not a
repetition such as ``passwordpassword``."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from casework import staff
from casework.passwords import RepeatedPatternValidator, repeated_unit
from casework.roles import Role
from casework.services import user_ensure
from notifications.models import OutboxMessage

User = get_user_model()
WEAK = [
    "passwordpassword",  # the finding: a repetition of a common word
    "abcabcabcabcabc",
    "aaaaaaaaaaaaaaaa",
    "aaaaaaaaaaab1",  # too few different characters
    "passwordpassword1",
    "Password1234",  # common
    "short-pw-1",  # too short
    "123456789012345",  # numeric
]
STRONG = ["a-long-new-passphrase-2026", "correct-horse-battery-staple", "Tiles4Kettle!Moor"]


def test_the_settings_name_every_validator():
    names = [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
        "RepeatedPatternValidator",
    ]
    length = settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"]["min_length"]
    assert length >= 12


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_pass(password):
    validate_password(password)


def test_repeated_unit():
    assert repeated_unit("passwordpassword") == "password"
    assert repeated_unit("ababab") == "ab"
    assert repeated_unit("abcabd") is None
    assert RepeatedPatternValidator().get_help_text()


def test_a_password_like_the_username_is_refused():
    user = User(username="priya.shah", first_name="Priya", last_name="Shah")
    with pytest.raises(ValidationError):
        validate_password("priya.shah.2026", user)


# --- every way in ------------------------------------------------------------------------


@pytest.fixture
def newcomer(make_user, client):
    """A member of staff added by an administrator, holding their one-time link."""
    admin = make_user("admin", Role.ADMINISTRATOR, [])
    client.force_login(admin)
    response = client.post(
        "/staff/people/new/",
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya.shah@council.example",
            "role": "frontline",
            "teams": [],
            "clearance": "no",
            "reason": "Joined.",
        },
    )
    assert response.status_code == 302, response.content.decode()
    client.logout()
    return User.objects.get(username="priya.shah@council.example")


@pytest.mark.django_db
def test_the_one_time_link_page_refuses_passwordpassword(client, newcomer):
    link = OutboxMessage.objects.filter(recipient=newcomer).latest("pk").link
    response = client.post(
        link, {"new_password1": "passwordpassword", "new_password2": "passwordpassword"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "must not repeat the same few characters or words" in page
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


@pytest.mark.django_db
def test_the_password_service_refuses_weak_passwords_whoever_calls_it(newcomer):
    with pytest.raises(ValidationError) as refused:
        staff.staff_password_set(user=newcomer, password="passwordpassword")
    assert "new_password1" in refused.value.message_dict
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


@pytest.mark.django_db
def test_user_ensure_refuses_weak_passwords_and_writes_nothing():
    with pytest.raises(ValidationError):
        user_ensure(username="weak.user", password="passwordpassword", role=Role.LEAD, teams=[])
    assert not User.objects.filter(username="weak.user").exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too weak"):
        call_command("seed_demo", password="passwordpassword")
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_the_django_admin_add_user_form_refuses_passwordpassword(client):
    developer = User.objects.create_superuser("developer", "dev@example.org", "x-dev-pass-2026!")
    client.force_login(developer)
    response = client.post(
        "/django-admin/auth/user/add/",
        {
            "username": "someone",
            "usable_password": "true",
            "password1": "passwordpassword",
            "password2": "passwordpassword",
        },
    )
    assert response.status_code == 200
    assert "must not repeat the same few characters or words" in response.content.decode()
    assert not User.objects.filter(username="someone").exists()


@pytest.mark.django_db
def test_the_django_admin_change_password_form_refuses_passwordpassword(client):
    developer = User.objects.create_superuser("developer", "dev@example.org", "x-dev-pass-2026!")
    client.force_login(developer)
    response = client.post(
        f"/django-admin/auth/user/{developer.pk}/password/",
        {"password1": "passwordpassword", "password2": "passwordpassword"},
    )
    assert response.status_code == 200
    assert "must not repeat the same few characters or words" in response.content.decode()
    developer.refresh_from_db()
    assert not developer.check_password("passwordpassword")
