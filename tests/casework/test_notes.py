"""Notes on a case, the case page's notes, attachments and history lists, and the full
history page: who may add and read, what is kept, what is audited, and that the case
page's queries do not grow with what it lists."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, CaseNote
from casework.notes import case_attachment_add, case_note_add, note_text_clean
from casework.services import prevent_clearance_set
from tests.samples import ADULT
from tests.workflows.walker import default_raise
from workflows import modern_slavery

SECRET = "Met her at the hostel; she fears the gangmaster."


pytestmark = pytest.mark.usefixtures("media")


def html_of(response) -> str:
    return response.content.decode()


def _changed(before: str, after: str) -> list[str]:
    """The lines that differ between two pages, for a failure's message."""
    import difflib

    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-"][:20]


def note_url(case: Case) -> str:
    return f"/cases/{case.reference}/notes/new/"


# Adding a note -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["worker", "lead"])
def test_the_allocated_worker_and_a_lead_add_a_note_shown_on_the_case_page(
    client, people, case, who
):
    client.force_login(people[who])
    form = client.get(note_url(case))
    assert form.status_code == 200
    html = html_of(form)
    assert 'data-module="govuk-character-count"' in html
    assert 'data-maxlength="10000"' in html
    assert "csrfmiddlewaretoken" in html
    response = client.post(note_url(case), {"text": f"  {SECRET}\r\nCalled the police.  "})
    assert response.status_code == 302
    assert response.url == f"/cases/{case.reference}/#notes"
    note = CaseNote.objects.get(case=case)
    assert note.text == f"{SECRET}\nCalled the police."
    assert note.author == people[who]
    page = html_of(client.get(f"/cases/{case.reference}/"))
    notes = page.split('data-section="notes"')[1].split("</ul>")[0]
    assert SECRET in notes
    assert "Note added" in page  # the banner and the history


@pytest.mark.django_db
def test_a_note_is_audited_by_its_hash_not_its_text(people, case):
    note = case_note_add(case=case, actor=people["lead"], text=SECRET)
    event = AuditEvent.objects.get(verb=AuditVerb.NOTE_ADDED)
    assert event.actor == people["lead"]
    assert event.case_id == case.pk
    assert event.object_type == "casework.casenote"
    assert event.object_id == str(note.pk)
    assert event.data["note"] == note.pk
    assert event.data["length"] == len(SECRET)
    assert len(event.data["sha256"]) == 64
    assert SECRET not in str(event.data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Enter a note"),
        ("x" * 10_001, "The note must be 10,000 characters or fewer"),
    ],
)
def test_an_empty_or_too_long_note_is_400_with_errors_and_writes_nothing(
    client, people, case, text, message
):
    client.force_login(people["lead"])
    events = AuditEvent.objects.count()
    response = client.post(note_url(case), {"text": text})
    assert response.status_code == 400
    html = html_of(response)
    assert "govuk-error-summary" in html
    assert f'<a href="#text">{message}</a>' in html
    assert 'id="text-error"' in html
    assert "govuk-textarea--error" in html
    assert not CaseNote.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        # (its raiser adds their own: tests/casework/test_raiser_view.py)
        ("auditor", 403),  # reads everything, writes nothing
        ("colleague", 404),  # same team, no relation: cannot see it
        ("other_lead", 404),
        ("admin", 404),  # no case content
    ],
)
def test_others_cannot_add_a_note(client, people, case, who, status):
    client.force_login(people[who])
    assert client.get(note_url(case)).status_code == status
    assert client.post(note_url(case), {"text": "Mine."}).status_code == status
    assert not CaseNote.objects.exists()
    with pytest.raises(PermissionDenied):
        case_note_add(case=case, actor=people[who], text="Through the service.")


@pytest.mark.django_db
def test_the_raiser_of_a_prevent_case_adds_but_never_sees_notes(client, people, prevent_case):
    """Issue 19: the raiser of a Prevent case may pass on what they learn, and sees
    neither the notes of others nor their own afterwards."""
    case_note_add(case=prevent_case, actor=people["prevent_lead"], text=SECRET)
    client.force_login(people["frontline"])
    assert client.get(note_url(prevent_case)).status_code == 200
    assert client.post(note_url(prevent_case), {"text": "More."}).status_code == 200
    assert prevent_case.notes.filter(author=people["frontline"], text="More.").exists()
    page = html_of(client.get(f"/cases/{prevent_case.reference}/"))
    assert SECRET not in page
    assert "More." not in page
    assert "Notes" not in page
    assert client.get(f"/cases/{prevent_case.reference}/history/").status_code == 404
    # An ordinary lead of the team does not see the Prevent case at all.
    client.force_login(people["lead"])
    assert client.get(note_url(prevent_case)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["worker", "auditor", "cleared_auditor", "prevent_lead"])
def test_whoever_sees_the_case_in_full_reads_its_notes(client, people, case, prevent_case, who):
    case_note_add(case=case, actor=people["lead"], text=SECRET)
    case_note_add(case=prevent_case, actor=people["prevent_lead"], text="Channel panel booked.")
    user = people["auditor" if who == "cleared_auditor" else who]
    if who == "cleared_auditor":
        prevent_clearance_set(user=user, actor=people["admin"], cleared=True)
    client.force_login(user)
    target = prevent_case if who == "prevent_lead" else case
    page = html_of(client.get(f"/cases/{target.reference}/"))
    assert (SECRET if target is case else "Channel panel booked.") in page
    prevent_page = html_of(client.get(f"/cases/{prevent_case.reference}/"))
    # A cleared auditor reads every case, an uncleared one nothing of Prevent (issue 15).
    assert ("Channel panel booked." in prevent_page) is (who in ("cleared_auditor", "prevent_lead"))


@pytest.mark.django_db
def test_its_raiser_reads_only_their_own_notes(client, people, case, prevent_case):
    """A raiser who holds no other relation to the case sees its status and their own
    contributions (issue 17): not the lead's notes; the raiser of a Prevent case knows it
    only as received."""
    case_note_add(case=case, actor=people["lead"], text=SECRET)
    case_note_add(case=case, actor=people["frontline"], text="I saw him again on Friday.")
    case_note_add(case=prevent_case, actor=people["prevent_lead"], text="Channel panel booked.")
    client.force_login(people["frontline"])
    page = html_of(client.get(f"/cases/{case.reference}/"))
    assert "I saw him again on Friday." in page
    assert SECRET not in page
    assert "Channel panel booked." not in html_of(client.get(f"/cases/{prevent_case.reference}/"))


@pytest.mark.django_db
def test_a_note_cannot_be_changed_or_deleted(people, case):
    note = case_note_add(case=case, actor=people["lead"], text=SECRET)
    for change in (
        lambda: CaseNote.objects.filter(pk=note.pk).update(text="Rewritten"),
        lambda: CaseNote.objects.filter(pk=note.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert CaseNote.objects.get(pk=note.pk).text == SECRET


@pytest.mark.django_db
def test_the_page_says_notes_are_corrected_by_a_new_note(client, people, case):
    client.force_login(people["lead"])
    assert "To correct a note, add another one" in html_of(client.get(f"/cases/{case.reference}/"))
    assert "add another note saying what was wrong" in html_of(client.get(note_url(case)))


def test_the_service_refuses_blank_text_without_a_database():
    with pytest.raises(ValidationError):
        note_text_clean(" \n ")


# The case page: actions, sections, bounded lists, fixed queries ------------------------------


@pytest.mark.django_db
def test_the_case_page_offers_each_user_only_their_actions(client, people, case):
    client.force_login(people["lead"])
    page = html_of(client.get(f"/cases/{case.reference}/"))
    for action in ("allocate", "share", "refer", "add-note", "add-attachment"):
        assert f'data-case-action="{action}"' in page, action
    assert 'aria-label="Sections of this case"' in page
    for anchor in ("summary", "people", "deadlines", "referrals", "notes", "attachments"):
        assert f'href="#{anchor}"' in page
        assert f'id="{anchor}"' in page
    client.force_login(people["worker"])
    page = html_of(client.get(f"/cases/{case.reference}/"))
    assert 'data-case-action="add-note"' in page
    assert 'data-case-action="allocate"' not in page
    for who in ("frontline", "auditor"):
        client.force_login(people[who])
        page = html_of(client.get(f"/cases/{case.reference}/"))
        assert "data-case-action=" not in page
        assert "data-action=" not in page


def _fill(case: Case, actor, count: int) -> None:
    for n in range(count):
        case_note_add(case=case, actor=actor, text=f"Note {n}")
        case_attachment_add(
            case=case, actor=actor, name=f"file {n}.txt", size=6, file=io.BytesIO(b"hello\n")
        )


def _queries(client, case: Case) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/cases/{case.reference}/").status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_case_page_runs_the_same_queries_for_1_and_30_notes_attachments_and_events(
    client, people
):
    raise_case = default_raise(modern_slavery.WORKFLOW, people["frontline"])
    # Different people: the same person twice would be a possible match (issue 18), shown
    # on the second case's page with a query of its own.
    small = raise_case(ADULT)
    large = raise_case({**ADULT, "subject_given_names": "Ana", "subject_family_name": "Nowak"})
    _fill(small, people["lead"], 1)
    _fill(large, people["lead"], 30)
    client.force_login(people["lead"])
    _queries(client, small)  # warm the per-process caches
    assert _queries(client, small) == _queries(client, large)
    page = html_of(client.get(f"/cases/{large.reference}/"))
    notes = page.split('data-section="notes"')[1].split("</ul>")[0]
    assert notes.count("data-note=") == 10
    assert "These are the 10 most recent notes." in page
    assert page.count("data-attachment=") == 20
    history = page.split('data-section="history"')[1]
    events = [int(n) for n in re.findall(r'data-event="(\d+)"', history)]
    assert len(events) == 50
    assert events == sorted(events, reverse=True)  # newest first
    assert "These are the latest 50 events." in page


@pytest.mark.django_db
def test_the_full_history_is_paged_newest_first_and_shows_notes(client, people, case):
    for n in range(55):
        case_note_add(case=case, actor=people["lead"], text=f"Visit {n}")
    client.force_login(people["worker"])
    first = html_of(client.get(f"/cases/{case.reference}/history/"))
    assert first.count("moj-timeline__item") == 50
    assert "Visit 54" in first
    assert 'class="govuk-pagination"' in first
    second = html_of(client.get(f"/cases/{case.reference}/history/", {"page": 2}))
    assert "Visit 0" in second
    assert "Concern raised" in second  # the oldest event
    assert second.count("moj-timeline__item") == 56 - 50
    viewed = AuditEvent.objects.filter(verb=AuditVerb.CASE_VIEWED, actor=people["worker"])
    assert viewed.count() == 1  # two looks within half an hour: one view, counted twice
    assert viewed.get().view_repeat.repeats == 1


@pytest.mark.django_db
def test_the_full_history_runs_the_same_queries_for_a_short_and_a_long_page(client, people):
    raise_case = default_raise(modern_slavery.WORKFLOW, people["frontline"])
    small, large = raise_case(ADULT), raise_case(ADULT)
    _fill(small, people["lead"], 1)
    _fill(large, people["lead"], 30)
    client.force_login(people["lead"])

    def queries(case: Case) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/cases/{case.reference}/history/").status_code == 200
        return len(captured)

    queries(small)
    assert queries(small) == queries(large)


@pytest.mark.django_db
def test_an_auditor_is_pointed_to_the_audit_timeline(client, people, case):
    client.force_login(people["auditor"])
    page = html_of(client.get(f"/cases/{case.reference}/"))
    assert f'href="/audit/cases/{case.reference}/"' in page
    client.force_login(people["lead"])
    assert "/audit/cases/" not in html_of(client.get(f"/cases/{case.reference}/"))


# One access decision for the case page (issue 18) -----------------------------------------


def _notes_files_and_a_referral(people, case, prevent_case):
    """On each case: the lead's note and the frontline worker's, a file from each and a
    referral."""
    from io import BytesIO

    from referrals.models import PartnerAgency, Referral

    for target, lead in ((case, people["lead"]), (prevent_case, people["prevent_lead"])):
        case_note_add(case=target, actor=lead, text=SECRET)
        case_note_add(case=target, actor=people["frontline"], text="I saw him again.")
        for actor in (lead, people["frontline"]):
            case_attachment_add(
                case=target, actor=actor, name="letter.txt", size=5, file=BytesIO(b"hello")
            )
        Referral.objects.create(
            case=target, partner=PartnerAgency.objects.order_by("pk").first(),
            referral_type="nrm_referral", created_by=lead,
        )  # fmt: skip


@pytest.mark.django_db
def test_the_case_pages_one_access_decision_reads_what_the_visibility_condition_reads(
    people, case, prevent_case
):
    """The case page decides once what a user may read of a case (``CaseAccess``) and
    reads its notes, files and referrals by the case's id: for every kind of user and
    both cases, exactly what the selectors read through the visibility condition."""

    from casework import statements
    from casework.notes import (
        case_attachment_list_for_user,
        case_attachments_first_for_user,
        case_note_list_for_user,
        case_notes_first_for_user,
    )
    from casework.selectors import case_access_for_user
    from referrals.selectors import case_referrals_for_user, case_referrals_shown_for_user

    _notes_files_and_a_referral(people, case, prevent_case)
    cleared = people["auditor"]
    statements.clear()
    for who, user in people.items():
        for target in (case, prevent_case):
            access = case_access_for_user(user, target)
            for read in (
                case_note_list_for_user,
                case_attachment_list_for_user,
                case_referrals_for_user,
            ):
                expected = list(read(user, target).values_list("pk", flat=True))
                got = list(read(user, target, access).values_list("pk", flat=True))
                assert got == expected, (who, target.case_type, read.__name__)
            shown = [r.pk for r in case_referrals_shown_for_user(user, target, access)]
            assert shown == list(
                case_referrals_for_user(user, target).values_list("pk", flat=True)
            ), (who, target.case_type)
            # The page's first few, from statements kept for what the access allows
            # (kept across users, as in a worker).
            for first, read in (
                (case_notes_first_for_user, case_note_list_for_user),
                (case_attachments_first_for_user, case_attachment_list_for_user),
            ):
                for limit in (1, 5):
                    expected = list(read(user, target).values_list("pk", flat=True))
                    rows, more = first(user, target, access, limit)
                    assert [r.pk for r in rows] == expected[:limit], (who, first.__name__)
                    assert more == (len(expected) > limit)
    # What each reads, so the comparison is not of empty lists only.
    assert case_access_for_user(people["lead"], case).full
    frontline = case_access_for_user(people["frontline"], case)
    assert (frontline.content, frontline.full) == (True, False)
    limited = case_access_for_user(people["frontline"], prevent_case)
    assert (limited.content, limited.full) == (False, False)
    assert not case_access_for_user(people["other_lead"], case).content
    assert len(case_note_list_for_user(people["frontline"], case, frontline)) == 1
    assert case_notes_first_for_user(people["frontline"], case, frontline, 5)[0][0].author_id == (
        people["frontline"].pk
    )
    lead_access = case_access_for_user(people["lead"], case)
    assert case_attachments_first_for_user(people["lead"], case, lead_access, 1)[1]  # more
    assert case_access_for_user(cleared, case).full


@pytest.mark.django_db
def test_the_case_page_from_kept_statements_is_the_page_django_builds(
    client, people, case, prevent_case
):
    """The case itself, its people, clocks, notes, files and history come from
    statements compiled once (``casework.statements``): every kind of user sees the
    same page, to the byte, as with every query built by Django, for both cases and
    for the second page view (from the kept statements) as for the first."""

    from django.test import override_settings

    from casework import statements

    _notes_files_and_a_referral(people, case, prevent_case)

    def page(user, target):
        client.force_login(user)
        html = html_of(client.get(f"/cases/{target.reference}/"))
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
        return re.sub(r'data-session-timeout="\d+"', "", html)  # seconds left, as it ticks

    statements.clear()
    shown = 0
    for who, user in people.items():
        for target in (case, prevent_case):
            with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
                expected = page(user, target)
            for _ in range(2):
                got = page(user, target)
                assert got == expected, (who, target.case_type, _changed(expected, got))
            shown += SECRET in expected and "National Referral Mechanism" in expected
    assert shown >= 3  # the full page was among those compared, for more than one user


@pytest.mark.django_db
def test_an_access_decided_for_another_user_or_case_is_refused(people, case, prevent_case):
    from casework.notes import case_note_list_for_user
    from casework.selectors import case_access_for_user

    access = case_access_for_user(people["lead"], case)
    with pytest.raises(ValueError, match="another user or case"):
        case_note_list_for_user(people["frontline"], case, access)
    with pytest.raises(ValueError, match="another user or case"):
        case_note_list_for_user(people["lead"], prevent_case, access)
