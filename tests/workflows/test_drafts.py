"""Intake drafts: kept in the database on every POST and by autosave, restored after a
timeout or a closed tab, private to their author, deleted on raise or expiry."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.dates import time_words
from casework.models import AuditEvent, Case
from casework.roles import Role
from casework.sessions import SIGNED_IN_AT
from config.celery import app as celery_app
from referrals.content import DTN_ANONYMOUS
from tests.conftest import DEMO_PASSWORD
from tests.workflows.test_intake_pages import INTAKE_OVERRIDES, form_data, raise_pages
from tests.workflows.walker import sample_values
from workflows.drafts import (
    DRAFT_MAX_BYTES,
    concern_raise,
    draft_get_for_user,
    draft_list_for_user,
    draft_save,
    drafts_expire,
)
from workflows.intake import intake_fields
from workflows.models import IntakeDraft
from workflows.registry import WORKFLOWS
from workflows.tasks import EXPIRE_DRAFTS_TASK, expire_intake_drafts

FORM = "/concerns/new/cse/"
CHECK = "/concerns/new/cse/check/"
AUTOSAVE = "/concerns/drafts/cse/"
DELETE = "/concerns/drafts/cse/delete/"
CHOOSER = "/concerns/new/"
HOME = "/"
SECRET = "Seen with older men outside the arcade"


def page(response) -> str:
    return response.content.decode()


def draft_url(draft: IntakeDraft, page: str = "") -> str:
    return f"{FORM}?draft={draft.pk}" + (f"&page={page}" if page else "")


def valid_cse() -> dict:
    fields = intake_fields(WORKFLOWS["cse"])
    return form_data(fields, sample_values(fields, {"summary": SECRET}))


# Saving on every POST, and restoring -------------------------------------------------------


@pytest.mark.django_db
def test_an_invalid_post_is_kept_as_a_draft_and_the_form_comes_back_filled(client, frontline):
    client.force_login(frontline)
    response = client.post(FORM, {"subject_estimated_age": "abc", "subject_given_names": "Amy"})
    assert response.status_code == 200
    assert '<a href="#subject_estimated_age">' in page(response)
    draft = IntakeDraft.objects.get(author=frontline, case_type="cse")
    assert draft.data["subject_given_names"] == "Amy"
    assert f'name="draft" value="{draft.pk}"' in page(response)  # later posts: the same draft

    # A new session (the old one timed out): the answers come back from the database.
    client.logout()
    client.force_login(frontline)
    again = page(client.get(draft_url(draft)))
    assert 'value="Amy"' in again
    assert "Draft saved at " in again
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_save_and_come_back_later_keeps_the_draft_and_lists_it(client, frontline):
    client.force_login(frontline)
    response = client.post(FORM, {"summary": SECRET, "page": "what", "action": "save"})
    assert (response.status_code, response.url) == (302, HOME)
    draft = IntakeDraft.objects.get(author=frontline)
    home = page(client.get(HOME))
    assert "concern has been saved. Continue it from your home page" in home
    assert "Unfinished concerns" in home
    assert f'href="{draft_url(draft)}">Continue' in home
    assert f'href="{DELETE}?draft={draft.pk}">Delete' in home
    assert SECRET not in home  # named by its person or address, not by its answers
    assert "Child exploitation started" in home
    # When it was started, as every page writes a time (GOV.UK style: "2:05pm", not 14:05).
    started = timezone.localtime().replace(month=3, day=4, hour=14, minute=5)
    IntakeDraft.objects.filter(pk=draft.pk).update(created_at=started)
    assert "Child exploitation started 4 March at 2:05pm" in page(client.get(HOME))
    assert draft.data["summary"] == SECRET
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_the_form_carries_the_autosave_and_a_no_js_save_button(client, frontline):
    client.force_login(frontline)
    form = page(client.get(FORM))
    assert f'data-draft-autosave data-draft-url="{AUTOSAVE}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'id="draft-status" role="status" aria-live="polite"' in form
    assert 'name="action" value="save">Save and come back later</button>' in form
    assert "js/draft-autosave.js" in form
    # Only the intake form loads the autosave module.
    assert "js/draft-autosave.js" not in page(client.get(CHOOSER))
    assert "js/draft-autosave.js" not in page(client.get("/workflows/"))


# The autosave endpoint ---------------------------------------------------------------------


@pytest.mark.django_db
def test_autosave_saves_and_says_when(client, frontline):
    client.force_login(frontline)
    response = client.post(AUTOSAVE, {"summary": SECRET, "page": "what"})
    assert response.status_code == 200
    body = response.json()
    draft = IntakeDraft.objects.get(author=frontline, case_type="cse")
    assert body["saved_at_text"] == time_words(timezone.localtime(draft.updated_at))  # 9:35am
    assert body["draft"] == draft.pk  # a new concern's first save starts its draft
    assert draft.data["summary"] == SECRET

    # A save that names the draft updates it, and keeps the other pages' answers.
    client.post(AUTOSAVE, {"subject_given_names": "Amy", "draft": draft.pk})
    client.post(AUTOSAVE, {"summary": "Changed", "page": "what", "draft": draft.pk})
    saved = IntakeDraft.objects.get(author=frontline).data
    assert (saved["summary"], saved["subject_given_names"]) == ("Changed", "Amy")


@pytest.mark.django_db
def test_autosave_never_raises_a_concern_even_with_complete_answers(client, frontline):
    client.force_login(frontline)
    for section in ("who", "what", "risk", "family"):
        assert client.post(AUTOSAVE, {**valid_cse(), "page": section}).status_code == 200
    assert Case.objects.count() == 0
    assert AuditEvent.objects.filter(verb="case.raised").count() == 0


@pytest.mark.django_db
def test_autosave_refuses_an_unknown_type_and_unknown_fields(client, frontline):
    client.force_login(frontline)
    assert client.post("/concerns/drafts/burglary/", {"summary": "x"}).status_code == 404
    response = client.post(AUTOSAVE, {"summary": "x", "is_admin": "true"})
    assert response.status_code == 400
    assert response.json() == {"errors": ["This form does not ask for: is_admin."]}
    # A records-style name for a field that is not a records field is refused too.
    assert client.post(AUTOSAVE, {"summary-1-what": "x"}).status_code == 400
    assert not IntakeDraft.objects.exists()


@pytest.mark.django_db
def test_autosave_caps_the_size(client, frontline):
    client.force_login(frontline)
    response = client.post(AUTOSAVE, {"summary": "x" * (DRAFT_MAX_BYTES + 10), "page": "what"})
    assert response.status_code == 400
    assert "too large" in response.json()["errors"][0]
    too_big = client.post(AUTOSAVE, {"summary": "x" * (3 * DRAFT_MAX_BYTES)})
    assert too_big.status_code == 413
    assert not IntakeDraft.objects.exists()


@pytest.mark.django_db
def test_autosave_needs_the_csrf_token(frontline):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(frontline)
    assert browser.post(AUTOSAVE, {"summary": SECRET}).status_code == 403
    assert not IntakeDraft.objects.exists()
    browser.get(FORM)  # sets the CSRF cookie, as the page does
    token = browser.cookies["csrftoken"].value
    saved = browser.post(
        AUTOSAVE, {"summary": SECRET, "page": "what", "csrfmiddlewaretoken": token}
    )
    assert saved.status_code == 200
    assert IntakeDraft.objects.get().data["summary"] == SECRET


@pytest.mark.django_db
def test_autosave_is_only_for_people_who_raise_concerns(client, auditor, make_user, db):
    admin = make_user("admin", Role.ADMINISTRATOR, [])
    for user in (auditor, admin):
        client.force_login(user)
        assert client.post(AUTOSAVE, {"summary": "x"}).status_code == 403
    client.logout()
    response = client.post(AUTOSAVE, {"summary": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")
    assert not IntakeDraft.objects.exists()


# Privacy --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_is_private_to_its_author(client, frontline, lead, prevent_lead, auditor):
    draft_save(author=frontline, case_type="prevent", data={"summary": SECRET})
    draft_save(author=frontline, case_type="cse", data={"summary": SECRET})
    for other in (lead, prevent_lead):
        client.force_login(other)
        assert SECRET not in page(client.get("/concerns/new/prevent/"))
        assert "Your unfinished concerns" not in page(client.get(CHOOSER))
        assert client.get(DELETE).status_code == 404
        assert client.post(DELETE).status_code == 404
        # Their own save makes their own draft, never touching the author's.
        client.post(AUTOSAVE, {"summary": "Mine"})
        assert draft_list_for_user(other).count() == 1
    client.force_login(auditor)
    assert client.get(CHOOSER).status_code == 403
    assert client.get(DELETE).status_code == 403
    assert draft_get_for_user(frontline, "cse").data["summary"] == SECRET
    assert draft_get_for_user(frontline, "prevent").data["summary"] == SECRET
    assert draft_get_for_user(lead, "prevent") is None


def test_drafts_are_not_in_the_admin_site_and_have_no_row_history():
    assert IntakeDraft not in admin.site._registry
    # pghistory would keep a deleted draft's answers in an event table.
    related = [m for m in apps.get_models() if m.__name__.startswith("IntakeDraft")]
    assert related == [IntakeDraft]


@pytest.mark.django_db
def test_listing_drafts_takes_the_same_queries_however_many(
    client, frontline, django_assert_num_queries
):
    client.force_login(frontline)
    draft_save(author=frontline, case_type="cse", data={"summary": "one"})
    with CaptureQueriesContext(connection) as one:
        assert client.get(CHOOSER).status_code == 200
    for case_type in WORKFLOWS:
        draft_save(author=frontline, case_type=case_type, data={"summary": "more"})
    with django_assert_num_queries(len(one)):
        page_html = page(client.get(CHOOSER))
    assert page_html.count("Continue<span") == IntakeDraft.objects.count() == len(WORKFLOWS) + 1


# Deleting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_draft_asks_first(client, frontline):
    client.force_login(frontline)
    assert client.get(DELETE).status_code == 404  # no draft yet
    draft_save(author=frontline, case_type="cse", data={"summary": SECRET})
    draft_save(author=frontline, case_type="prevent", data={"summary": "Keep me"})
    confirm = page(client.get(DELETE))
    assert "Delete your draft child exploitation concern?" in confirm
    assert "Yes, delete this draft" in confirm
    assert IntakeDraft.objects.count() == 2

    response = client.post(DELETE)
    assert (response.status_code, response.url) == (302, CHOOSER)
    assert "has been deleted" in page(client.get(CHOOSER))
    assert list(IntakeDraft.objects.values_list("case_type", flat=True)) == ["prevent"]


# Raising deletes the draft, in the same transaction --------------------------------------------


@pytest.mark.django_db
def test_raising_the_concern_deletes_its_draft(client, frontline):
    client.force_login(frontline)
    assert raise_pages(client, "cse", valid_cse()).status_code == 302
    draft_save(author=frontline, case_type="prevent", data={"summary": "Another"})
    response = client.post(CHECK)
    case = Case.objects.get()
    assert response.url == f"/concerns/raised/{case.reference}/"
    assert case.summary == SECRET
    assert list(IntakeDraft.objects.values_list("case_type", flat=True)) == ["prevent"]
    # Submitting again finds no draft: nothing is raised twice.
    assert client.post(CHECK).url == FORM
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_raise_that_fails_keeps_the_draft_and_raises_nothing(frontline, monkeypatch):
    fields = intake_fields(WORKFLOWS["cse"])
    data = sample_values(fields, {"summary": SECRET, **INTAKE_OVERRIDES.get("cse", {})})
    draft_save(author=frontline, case_type="cse", data=data)

    def broken_delete(self, *args, **kwargs):
        raise DatabaseError("disk full")

    # The draft is found (by a statement that may be kept from before), then its delete
    # fails, after the case was written.
    monkeypatch.setattr(IntakeDraft, "delete", broken_delete)
    with pytest.raises(DatabaseError):
        concern_raise(actor=frontline, case_type="cse", data=data)
    monkeypatch.undo()
    assert Case.objects.count() == 0  # the case rolled back with the failed delete
    assert IntakeDraft.objects.filter(author=frontline).count() == 1


@pytest.mark.django_db
def test_an_invalid_raise_keeps_the_draft(frontline):
    draft_save(author=frontline, case_type="cse", data={"summary": ""})
    with pytest.raises(ValidationError):
        concern_raise(actor=frontline, case_type="cse", data={"summary": ""})
    assert IntakeDraft.objects.count() == 1


# The service's own checks ----------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_save_checks_role_type_fields_and_size(frontline, auditor):
    with pytest.raises(PermissionDenied):
        draft_save(author=auditor, case_type="cse", data={"summary": "x"})
    with pytest.raises(ValidationError):
        draft_save(author=frontline, case_type="burglary", data={"summary": "x"})
    with pytest.raises(ValidationError):
        draft_save(author=frontline, case_type="cse", data={"password": "x"})
    with pytest.raises(ValidationError):
        draft_save(author=frontline, case_type="cse", data={"summary": "é" * DRAFT_MAX_BYTES})
    assert not IntakeDraft.objects.exists()
    kept = draft_save(author=frontline, case_type="cse", data={"summary": "é" * 1000})
    assert len(json.dumps(kept.data).encode()) < DRAFT_MAX_BYTES


# Expiry ---------------------------------------------------------------------------------------


def _age(draft: IntakeDraft, days: float) -> None:
    IntakeDraft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(days=days))


@pytest.mark.django_db
def test_drafts_expire_after_the_retention_period(frontline, lead, settings):
    assert settings.SAFECASE_DRAFT_RETENTION_DAYS == 30
    old = draft_save(author=frontline, case_type="cse", data={"summary": "old"})
    recent = draft_save(author=frontline, case_type="prevent", data={"summary": "recent"})
    other = draft_save(author=lead, case_type="cse", data={"summary": "edge"})
    _age(old, 30.5)
    _age(recent, 29)
    _age(other, 29.9)
    assert drafts_expire() == 1
    assert set(IntakeDraft.objects.values_list("pk", flat=True)) == {recent.pk, other.pk}

    settings.SAFECASE_DRAFT_RETENTION_DAYS = 7
    assert expire_intake_drafts() == 2  # the Celery task, run as beat would run it
    assert not IntakeDraft.objects.exists()


def test_expiry_is_scheduled_daily_by_beat():
    entry = celery_app.conf.beat_schedule["expire-intake-drafts"]
    assert entry["task"] == EXPIRE_DRAFTS_TASK
    assert EXPIRE_DRAFTS_TASK in celery_app.tasks
    assert entry["schedule"].hour == {3}


# The idle sign-out and signing back in ---------------------------------------------------------


@pytest.mark.django_db
def test_after_an_idle_sign_out_signing_in_again_returns_to_the_filled_form(client, frontline):
    assert client.post("/sign-in/", {"username": frontline.username, "password": DEMO_PASSWORD})
    body = client.post(AUTOSAVE, {"summary": SECRET, "page": "what"}).json()
    client.post(AUTOSAVE, {"subject_given_names": "Amy", "draft": body["draft"]})
    # The page's address now names the draft (draft-autosave.js), so signing in again
    # comes back to it. The idle timeout ends the session on the server.
    here = f"{FORM}?draft={body['draft']}&page=what"
    client.session.flush()
    client.cookies.pop("sessionid", None)
    response = client.get(here)
    assert (response.status_code, response.url) == (302, f"/sign-in/?next={quote(here)}")

    signed_in = client.post(
        response.url,
        {"username": frontline.username, "password": DEMO_PASSWORD, "next": here},
    )
    assert (signed_in.status_code, signed_in.url) == (302, here)
    restored = page(client.get(here)) + page(client.get(here.replace("&page=what", "")))
    assert SECRET in restored
    assert 'value="Amy"' in restored


@pytest.mark.django_db
def test_after_the_absolute_limit_signing_in_again_returns_to_the_filled_form(
    client, frontline, settings
):
    assert client.post("/sign-in/", {"username": frontline.username, "password": DEMO_PASSWORD})
    client.post(FORM, {"summary": SECRET, "page": "what", "action": "save"})
    here = draft_url(IntakeDraft.objects.get(author=frontline), "what")
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.SAFECASE_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(here)
    assert (response.status_code, response.url) == (302, f"/sign-in/?next={quote(here)}")
    signed_in = client.post(
        response.url, {"username": frontline.username, "password": DEMO_PASSWORD, "next": here}
    )
    assert signed_in.url == here
    assert SECRET in page(client.get(here))


# The anonymous Duty to Notify keeps nothing that identifies the person --------------------------


IDENTIFYING = ("name", "birth", "address", "postcode", "phone", "email", "alias")


def test_the_anonymous_duty_to_notify_declares_no_identifying_field():
    """MSA 2015 s52(3) (RULES.md §1.5): its fields, and so any draft of it, identify nobody."""
    step = WORKFLOWS["modern_slavery"].transition_meta("submit_duty_to_notify")["fields"]
    for spec in [*DTN_ANONYMOUS, *step]:
        assert not spec.person, spec.name
        assert not spec.premises, spec.name
        assert not any(word in spec.name for word in IDENTIFYING), spec.name
