"""NUL and other control characters are refused with a 400 everywhere (issue 17, low
findings: a NUL gave a 500 on ten routes, among them ``/cases/%00/``, note text, intake
and draft autosave). One middleware, ``config.hardening.ControlCharactersMiddleware``,
checks the path, the query string, form fields and JSON bodies; every route of the access
matrix is tried with each, as a page (the 400 page in the layout) or as the API (its
contract's 400 body)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.models import Case, CaseAttachment, CaseNote
from casework.roles import Role
from config.hardening import has_control_characters
from tests.test_access_matrix import MATRIX, World
from workflows.models import IntakeDraft

PAGE_400 = "There is a problem with what was sent"


def is_api(url: str) -> bool:
    return url.startswith("/api/")


def check_400(response, url: str) -> str | None:
    """What is wrong with the answer to a refused request, or None."""
    if response.status_code != 400:
        return f"{url}: {response.status_code}"
    if is_api(url):
        body = response.json()
        if not isinstance(body.get("errors"), dict) or not body["errors"]:
            return f"{url}: API 400 without its errors body: {body}"
        return None
    page = response.content.decode()
    if PAGE_400 not in page or "govuk-template" not in page:
        return f"{url}: not the 400 page in the layout"
    return None


def with_nul_in_path(url: str) -> str:
    path, _, query = url.partition("?")
    path = path[:-1] + "%00/" if path.endswith("/") else path + "%00"
    return f"{path}?{query}" if query else path


def with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.fixture
def world(teams):
    return World()


@pytest.mark.django_db
def test_every_route_refuses_control_characters_in_each_input(client, world):
    client.force_login(world.users["lead"])
    wrong = []
    for name, route in sorted(MATRIX.items()):
        case = world.cases["lead"]["same_team"] if route.per_case else None
        url = route.url(world, case)
        attempts = [
            ("path", "get", with_nul_in_path(url), {}, {}),
            ("query value", "get", with_query(url, "q=a%00b"), {}, {}),
            ("query name", "get", with_query(url, "a%01b=1"), {}, {}),
            ("query DEL", "get", with_query(url, "q=%7F"), {}, {}),
        ]
        form = {**{k: str(v) for k, v in route.data.items()}, "text": "a\x00b"}
        attempts.append(("form value", "post", url, form, {}))
        attempts.append(("form name", "post", url, {"te\x1bxt": "a"}, {}))
        if is_api(url):
            as_json = {"content_type": "application/json"}
            body = json.dumps({**route.data, "summary": "before\x00after"})
            attempts.append(("json value", "post", url, body, as_json))
            nested = json.dumps({"people": [{"given_names": "Sam\x07"}]})
            attempts.append(("json nested", "post", url, nested, as_json))
        for kind, method, target, data, kwargs in attempts:
            response = getattr(client, method)(target, data, **kwargs)
            problem = check_400(response, target)
            if problem:
                wrong.append(f"{name} ({kind}): {problem}")
    assert not wrong, "\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_a_nul_in_the_case_address_is_a_400_page_not_a_500(client, make_user):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    response = client.get("/cases/%00/")
    assert check_400(response, "/cases/%00/") is None
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )


@pytest.fixture
def lead_case(make_user):
    from django.utils import timezone

    from casework.models import Team

    lead = make_user("lead.north", Role.LEAD, ["north"])
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    case = Case.objects.create(
        reference="SC-NUL-1", case_type="cse", state="concern_raised", summary="Case",
        team=Team.objects.get(slug="north"), raised_by=frontline, owner=lead,
        raised_at=timezone.now(),
    )  # fmt: skip
    return lead, frontline, case


@pytest.mark.django_db
def test_a_nul_in_note_text_saves_nothing(client, lead_case):
    lead, _, case = lead_case
    client.force_login(lead)
    response = client.post(f"/cases/{case.reference}/notes/new/", {"text": "Visit\x00ed"})
    assert check_400(response, "note") is None
    assert not CaseNote.objects.exists()


@pytest.mark.django_db
def test_tabs_and_line_breaks_in_answers_are_kept(client, lead_case):
    lead, _, case = lead_case
    client.force_login(lead)
    text = "First line\r\nSecond line\twith a tab"
    response = client.post(f"/cases/{case.reference}/notes/new/", {"text": text})
    assert response.status_code == 302
    assert CaseNote.objects.get().text.replace("\r\n", "\n") == text.replace("\r\n", "\n")


@pytest.mark.django_db
def test_a_nul_in_intake_and_draft_autosave_saves_nothing(client, lead_case):
    _, frontline, _ = lead_case
    client.force_login(frontline)
    before = Case.objects.count()
    intake = client.post("/concerns/new/cse/", {"summary": "A\x00B"})
    assert check_400(intake, "intake") is None
    draft = client.post("/concerns/drafts/cse/", {"summary": "A\x00B"})
    assert check_400(draft, "draft") is None
    assert Case.objects.count() == before
    assert not IntakeDraft.objects.exists()


@pytest.mark.django_db
def test_an_upload_with_a_control_character_in_its_description(client, lead_case):
    lead, _, case = lead_case
    client.force_login(lead)
    url = f"/cases/{case.reference}/attachments/new/"
    described = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = client.post(url, {"file": described, "description": "bad\x00"})
    assert check_400(response, url) is None
    assert not CaseAttachment.objects.exists()
    # Django drops what is not printable from an uploaded file's name: nothing to refuse.
    named = SimpleUploadedFile("no\x00tes.txt", b"hello", content_type="text/plain")
    assert client.post(url, {"file": named}).status_code == 302
    assert CaseAttachment.objects.get().original_name == "notes.txt"
    # A clean upload is still taken (the size-limit handler still installs first), with
    # tabs and line breaks in a text file and its description.
    clean = SimpleUploadedFile("more.txt", b"hello\tthere\r\n", content_type="text/plain")
    response = client.post(url, {"file": clean, "description": "one\r\ntwo"})
    assert response.status_code == 302
    assert CaseAttachment.objects.count() == 2


@pytest.mark.django_db
def test_the_api_names_the_field(client, lead_case):
    _, frontline, _ = lead_case
    client.force_login(frontline)
    response = client.post(
        "/api/v1/cases/",
        json.dumps({"case_type": "cse", "summary": "x\x00"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["summary"]
    assert "control characters" in response.json()["errors"]["summary"][0]


def test_which_characters_are_control_characters():
    assert has_control_characters("\x00")
    assert has_control_characters("a\x1fb")
    assert has_control_characters("\x7f")
    assert has_control_characters("\x85")  # C1
    assert not has_control_characters("Zoë Smith – 1 High St")
    assert has_control_characters("\n")
    assert not has_control_characters("a\n\r\tb", allow=frozenset("\t\n\r"))


def test_an_unreadable_json_body_is_left_to_the_view(rf):
    from config.hardening import refused_in_body

    request = rf.post("/api/v1/cases/", "{not json", content_type="application/json")
    assert refused_in_body(request) is None
    request = rf.post("/x/", io.BytesIO(b"\x00").getvalue(), content_type="text/plain")
    assert refused_in_body(request) is None
