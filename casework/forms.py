"""Forms of the casework pages."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe

from casework.audit import VERB_LABELS
from casework.models import Gender
from casework.validators import validate_date_in_range

Choices = Sequence[tuple[str, str]]


class PairChoices(BaseChoiceIterator):
    """Choices that are plain (value, label) pairs, which a field and its widget keep as
    given. Django normalises a list of choices on each assignment, pair by pair, and does
    it twice (the field, then its widget); for the case list's filters (the states, the
    team's staff) that was 0.26 ms of each list and search page's 0.39 ms form
    (docs/performance.md, a thirteenth session). Pairs of text need no normalising, and
    Django keeps a ``BaseChoiceIterator`` as it is."""

    def __init__(self, pairs: Choices) -> None:
        self.pairs = tuple(pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)


class CaseFilterForm(forms.Form):
    """The case list's search, filters and sort (all optional). casework knows no case
    type, so the caller gives the choices: the types, the states of the chosen type (so
    a state that type does not have is an error), and the teams and owners this user may
    filter by. A value not among them (an old bookmark, a hand-edited address) is an
    error the page shows, never silently dropped."""

    q = forms.CharField(
        required=False,
        max_length=200,
        strip=True,
        label="Search cases",
        help_text=(
            "A reference, a person’s name or its first letters, a postcode or the first "
            "line of an address, a phone number, a date of birth, or whole words from the "
            "summary."
        ),
        error_messages={"max_length": "Search must be 200 characters or fewer"},
    )
    case_type = forms.ChoiceField(
        required=False,
        label="Type of concern",
        error_messages={"invalid_choice": "Select a type of concern from the list"},
    )
    state = forms.ChoiceField(
        required=False,
        label="State",
        error_messages={"invalid_choice": "Select a state from the list for this type"},
    )
    team = forms.ChoiceField(
        required=False,
        label="Team",
        error_messages={"invalid_choice": "Select one of the teams in the list"},
    )
    owner = forms.ChoiceField(
        required=False,
        label="Allocated to",
        error_messages={"invalid_choice": "Select who the case is allocated to from the list"},
    )
    overdue = forms.ChoiceField(
        required=False,
        label="Deadlines",
        choices=[("", "Any"), ("true", "Only cases with an overdue deadline")],
        error_messages={"invalid_choice": "Select overdue deadlines or leave it unticked"},
    )
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Sort by one of the columns of the table"},
    )
    order = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", ""), ("asc", "Ascending"), ("desc", "Descending")],
        error_messages={"invalid_choice": "Sort in ascending or descending order"},
    )

    # Shown as filters (with "Selected filters" tags), in this order.
    FILTERS = ("case_type", "state", "team", "owner", "overdue")

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        case_types: Choices,
        states: Choices,
        teams: Choices = (),
        owners: Choices = (),
        sorts: Choices = (),
    ) -> None:
        super().__init__(data)
        self.fields["case_type"].choices = PairChoices([("", "All types"), *case_types])
        self.fields["state"].choices = PairChoices([("", "All states"), *states])
        self.fields["team"].choices = PairChoices([("", "All teams"), *teams])
        self.fields["owner"].choices = PairChoices(
            [("", "Anyone"), ("me", "Allocated to me"), ("unallocated", "Not allocated"), *owners]
        )
        self.fields["sort"].choices = PairChoices([("", ""), *sorts])

    def filters(self) -> dict[str, str]:
        """The valid, non-empty search, filters and sort, by field name."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def choice_label(self, name: str, value: str) -> str:
        """The label the list shows for one of a field's values."""
        return str(dict(self.fields[name].choices).get(value, value))


# The auditor's workspace -------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


DATE_PARTS = ("day", "month", "year")


class GovukDateInput(DateInput):
    """A GOV.UK date input: day, month and year boxes named ``<name>-day`` etc.
    (``{% govuk_control %}``, casework/templatetags/govuk_forms.py), read back as
    "year-month-day" for the DateField to parse; a date posted whole (``<name>``) is read
    as it is."""

    input_type = "govuk-date"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        parts = [str(data.get(f"{name}-{part}", "")).strip() for part in DATE_PARTS]
        if not any(f"{name}-{part}" in data for part in DATE_PARTS):
            return data.get(name)
        if not any(parts):
            return ""
        day, month, year = parts
        return f"{year}-{month}-{day}"


def _action_choices() -> list[tuple[str, str]]:
    verbs = sorted(VERB_LABELS.items(), key=lambda item: item[1])
    return [("", "Any action"), *[(verb.value, label) for verb, label in verbs]]


class AuditSearchForm(forms.Form):
    """Search the audit log by case reference, user, action and date range (all optional).

    ``filters()`` is what the search is recorded and exported as.
    """

    reference = forms.CharField(required=False, max_length=20, label="Case reference")
    user = forms.CharField(
        required=False,
        max_length=150,
        label="User",
        help_text="Their username. Failed sign-ins are found by the username tried.",
    )
    action = forms.ChoiceField(
        required=False,
        label="Action",
        choices=_action_choices,
        error_messages={"invalid_choice": "Select an action from the list"},
    )
    date_from = forms.DateField(
        validators=[validate_date_in_range],
        required=False,
        label="From",
        widget=GovukDateInput(),
        error_messages={"invalid": "Enter a real date for the start of the range"},
    )
    date_to = forms.DateField(
        validators=[validate_date_in_range],
        required=False,
        label="To",
        widget=GovukDateInput(),
        error_messages={"invalid": "Enter a real date for the end of the range"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date")
        return data

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters as text, by field name."""
        found = {}
        for name, value in self.cleaned_data.items():
            if value in ("", None):
                continue
            found[name] = value.isoformat() if isinstance(value, date) else str(value).strip()
        return {name: value for name, value in found.items() if value}


# Editing a case's summary, a person, premises ----------------------------------------------


class CaseSummaryForm(forms.Form):
    summary = forms.CharField(
        label="Summary of the concern",
        widget=forms.Textarea,
        error_messages={"required": "Enter a summary of the concern"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PersonForm(forms.Form):
    given_names = forms.CharField(required=False, max_length=200, label="Given names")
    family_name = forms.CharField(required=False, max_length=200, label="Family name")
    aliases = forms.CharField(required=False, max_length=500, label="Other names or nicknames")
    date_of_birth = forms.DateField(
        required=False,
        label="Date of birth",
        widget=GovukDateInput(),
        error_messages={"invalid": "Enter a real date of birth"},
    )
    estimated_age = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=120,
        label="Estimated age",
        help_text="If the date of birth is not known.",
        error_messages={
            "invalid": "Estimated age must be a whole number, like 35",
            "min_value": "Estimated age must be 0 or more",
            "max_value": "Estimated age must be 120 or less",
        },
    )
    gender = forms.ChoiceField(
        required=False, choices=[("", "Not given"), *Gender.choices], label="Gender"
    )
    phone = forms.CharField(required=False, max_length=50, label="Phone")
    email = forms.EmailField(
        required=False,
        max_length=254,
        label="Email",
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )
    address = forms.CharField(required=False, widget=forms.Textarea, label="Address")


class PremisesForm(forms.Form):
    address = forms.CharField(
        widget=forms.Textarea,
        label="Address",
        error_messages={"required": "Enter the address of the premises"},
    )
    postcode = forms.CharField(required=False, max_length=10, label="Postcode")
    tenure = forms.CharField(required=False, max_length=50, label="Tenure")
    landlord = forms.CharField(required=False, max_length=200, label="Landlord")


# Drawing a form in GOV.UK Frontend markup (casework/templatetags/govuk_forms.py) -----


@dataclasses.dataclass
class Control:
    """One question of a form, ready for GOV.UK markup; the input's id is its name (a
    date input's boxes: ``<name>-day``, ``-month``, ``-year``)."""

    name: str
    label: str
    kind: str
    value: str
    hint: str
    errors: list[str]
    options: list[tuple[str, str, bool]]

    @property
    def parts(self) -> list[tuple[str, str, str, int]]:
        """A date's (name, label, value, width) boxes, from "year-month-day" as stored or
        as typed."""
        found = re.fullmatch(r"\s*([^-]*)-([^-]*)-([^-T ]*).*", self.value or "")
        year, month, day = (found[1], found[2], found[3]) if found else ("", "", "")
        if found and year.isdigit() and month.isdigit() and day.isdigit():
            month, day = str(int(month)), str(int(day))
        values = {"day": day, "month": month, "year": year}
        return [
            (f"{self.name}-{p}", p.capitalize(), values[p], 4 if p == "year" else 2)
            for p in DATE_PARTS
        ]

    @property
    def option_tags(self) -> SafeString:
        """The select's ``<option>`` elements, value and label escaped. Drawn here rather
        than by a ``{% for %}`` in the template: the case list's filters offer about 115
        options (states of every type, a team's staff), and the template loop was a sixth
        of the page's Python calls (docs/performance.md)."""
        return mark_safe(  # noqa: S308 - every value and label is escaped here
            "\n".join(
                f'<option value="{html.escape(value)}"{" selected" if selected else ""}>'
                f"{html.escape(label)}</option>"
                for value, label, selected in self.options
            )
        )


def _kind(field: forms.Field) -> str:
    widget = field.widget
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    return "date" if getattr(widget, "input_type", "") in ("date", "govuk-date") else "text"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def govuk_controls(form: forms.Form) -> list[Control]:
    """The form's visible questions with their values (as entered, or as stored)."""
    controls = []
    for bound in form.visible_fields():
        value = _text(bound.value())
        choices = getattr(bound.field, "choices", [])
        controls.append(
            Control(
                name=bound.name,
                label=str(bound.label),
                kind=_kind(bound.field),
                value=value,
                hint=str(bound.help_text or ""),
                errors=list(bound.errors),
                options=[(str(v), str(label), str(v) == value) for v, label in choices],
            )
        )
    return controls


def govuk_error_summary(form: forms.Form, controls: list[Control]) -> list[tuple[str, str]]:
    """Each message linked to its question; form-wide and hidden-field messages (no
    question shows them) have no anchor, and the summary shows them as text."""
    if not form.is_bound:
        return []
    visible = {c.name for c in controls}
    dates = {c.name for c in controls if c.kind == "date"}
    summary = []
    for name, errors in form.errors.items():
        anchor = name if name in visible else ""
        if name in dates:
            anchor = f"{name}-day"  # a date input's first box
        summary.extend((anchor, str(message)) for message in errors)
    return summary
