"""Step forms fill in what the case already knows and never ask it again (issue 19, point 4).

For each case type, a step that asks what intake (or an earlier step) answered shows the
form with that answer filled in, says so in its hint, and the form as shown still goes
through: the step is taken with the value the case held.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from casework.models import Case
from tests.workflows.test_community_trigger import NO_CONSENT, raise_ct
from tests.workflows.test_cse import raise_cse
from tests.workflows.test_cuckooing import raise_case as raise_cuckooing
from tests.workflows.test_modern_slavery import ADULT as MS_ADULT
from tests.workflows.test_modern_slavery import raise_ms
from tests.workflows.test_modern_slavery import step as ms_step
from tests.workflows.test_prevent import ADULT as PREVENT_ADULT
from tests.workflows.test_prevent import TO_CONSENT, raise_prevent
from tests.workflows.test_prevent import step as prevent_step
from tests.workflows.walker import sample_value
from workflows.forms import parts_of
from workflows.intake import date_parts
from workflows.registry import get_workflow

pytestmark = pytest.mark.django_db

PREFILLED = "Filled in from what this case already records"


class FormValues(HTMLParser):
    """What a rendered form would submit as it stands: text inputs, checked radios and
    boxes, textareas and selected options, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def _add(self, name: str | None, value: str | None) -> None:
        if name:
            self.values.setdefault(name, []).append(value or "")

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self._add(a.get("name"), a.get("value"))
            elif kind != "submit":
                self._add(a.get("name"), a.get("value"))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values.setdefault(self._textarea or "", [""])
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value"))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(page: str) -> dict[str, list[str]]:
    parser = FormValues()
    parser.feed(page)
    return parser.values


def open_step(client, user, case: Case, name: str) -> tuple[str, dict[str, list[str]]]:
    client.force_login(user)
    response = client.get(f"/cases/{case.reference}/actions/{name}/")
    assert response.status_code == 200
    page = response.content.decode()
    return page, form_values(page)


def submit_as_shown(client, case: Case, name: str, shown: dict[str, list[str]]) -> Case:
    """Post the form as shown, answering only what it left empty with sample answers."""
    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    data: dict[str, list[str] | str] = dict(shown)
    for spec in fields:
        if spec.type.value in ("date", "datetime"):
            # A GOV.UK date input: the boxes as shown, or typed in when required and empty.
            boxes = {f"{spec.name}-{part}": part for part in parts_of(spec)}
            if not spec.required or any(v.strip() for box in boxes for v in shown.get(box, [])):
                continue
            typed = date_parts(spec, sample_value(spec))
            data.update({box: typed[part] for box, part in boxes.items()})
            continue
        if any(v.strip() for v in shown.get(spec.name, [])):
            continue
        value = sample_value(spec)
        if isinstance(value, bool):
            value = "true" if value else "false"
        data[spec.name] = value if isinstance(value, list) else str(value)
    response = client.post(f"/cases/{case.reference}/actions/{name}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Case.objects.get(pk=case.pk)


def test_cuckooing_concern_submission_keeps_the_police_answer_from_intake(client, frontline, lead):
    case = raise_cuckooing(frontline, police_informed=True, police_reference="NT/1234/26")
    page, shown = open_step(client, lead, case, "submit_concern")
    assert shown["police_informed"] == ["true"]
    assert shown["police_reference"] == ["NT/1234/26"]
    assert page.count(PREFILLED) == 2
    case = submit_as_shown(client, case, "submit_concern", shown)
    assert case.state == "safeguarding_concern_submitted"
    assert case.details["police_reference"] == "NT/1234/26"
    assert case.details["police_informed"] is True


def test_modern_slavery_notification_is_filled_from_intake_and_triage(client, frontline, lead):
    case = raise_ms(
        frontline,
        {
            **MS_ADULT,
            "subject_gender": "female",
            "nationality": "Polish",
            "exploitation_types": ["labour", "domestic_servitude"],
            "exploitation_period": "Still happening",
            "immediate_risk": False,
        },
    )
    page, shown = open_step(client, lead, case, "start_triage")
    assert shown["immediate_risk"] == ["false"]
    case = submit_as_shown(client, case, "start_triage", {**shown, "police_informed": ["true"]})
    case = ms_step(case, lead, "seek_consent")
    page, shown = open_step(client, lead, case, "submit_duty_to_notify")
    assert shown["gender"] == ["female"]
    # Born 17 May 1990: 36 when the concern was raised.
    assert shown["age_band"] == ["35_44"]
    assert shown["nationality"] == ["polish"]
    assert sorted(shown["exploitation_types"]) == ["domestic_servitude", "labour"]
    assert shown["exploitation_period"] == ["ongoing"]
    assert shown["police_informed"] == ["true"]
    case = submit_as_shown(client, case, "submit_duty_to_notify", shown)
    assert case.state == "dtn_submitted"
    notification = case.dtn_notifications.get()
    assert (notification.nationality, notification.exploitation_period) == ("polish", "ongoing")
    assert notification.exploitation_types == ["labour", "domestic_servitude"]


def test_cse_nrm_referral_starts_from_what_intake_said(client, frontline, lead):
    case = raise_cse(frontline)
    page, shown = open_step(client, lead, case, "refer_into_nrm")
    grounds = shown["trafficking_indicators"][0]
    assert "Exploitation suspected: Sexual exploitation" in grounds
    assert "sexual" not in grounds.split(":")[1].split(",")[0].split()  # words, not codes
    assert "Indicators:" in grounds
    case = submit_as_shown(client, case, "refer_into_nrm", shown)
    assert case.details["trafficking_indicators"] == grounds.replace("\r\n", "\n").strip()
    assert case.details.get("nrm_submitted_on")


def test_prevent_consent_keeps_the_support_the_panel_agreed(client, frontline, prevent_lead):
    case = raise_prevent(frontline, PREVENT_ADULT)
    for name in TO_CONSENT:
        extra = {}
        if name == "adopt":
            extra = {
                "support_provider": "Northtown Youth Mentoring",
                "support_nature": "Weekly mentoring.",
            }
        case = prevent_step(case, prevent_lead, name, **extra)
    page, shown = open_step(client, prevent_lead, case, "record_consent")
    assert shown["support_provider"] == ["Northtown Youth Mentoring"]
    assert shown["support_nature"][0].strip() == "Weekly mentoring."
    case = submit_as_shown(client, case, "record_consent", shown)
    assert case.state == "support_active"
    assert case.details["support_provider"] == "Northtown Youth Mentoring"


def test_community_trigger_never_asks_again_for_consent_the_application_gave(
    client, frontline, lead
):
    given = raise_ct(frontline, {**NO_CONSENT, "victim_consent": True})
    client.force_login(lead)
    page = client.get(f"/cases/{given.reference}/").content.decode()
    assert 'data-action="record_victim_consent"' not in page
    assert 'data-action="acknowledge"' in page
    refused = client.get(f"/cases/{given.reference}/actions/record_victim_consent/")
    assert refused.status_code == 409
    assert "already recorded" in refused.content.decode()
    # Without consent on the application it is still asked, and then not again.
    missing = raise_ct(frontline, NO_CONSENT)
    page = client.get(f"/cases/{missing.reference}/").content.decode()
    assert 'data-action="record_victim_consent"' in page
    _, shown = open_step(client, lead, missing, "record_victim_consent")
    missing = submit_as_shown(client, missing, "record_victim_consent", shown)
    assert missing.details["victim_consent"] is True
    page = client.get(f"/cases/{missing.reference}/").content.decode()
    assert 'data-action="record_victim_consent"' not in page
