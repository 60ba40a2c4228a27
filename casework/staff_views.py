"""Staff administration pages under /staff/ (issue 20), in the service's own design.

Administrators only: anyone else signed in gets a plain 403, anyone signed out goes to
sign-in. Views are thin: a form checks the shape of the input, one service in
``casework.staff`` (or ``casework.reference_data``) makes and audits the change, and a
refusal becomes a GOV.UK error summary. The one-time password link page is the member of
staff's own, reached from the email, and needs no sign-in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods

from casework import api_tokens, staff, two_factor
from casework.audit_describe import describe_events
from casework.dates import datetime_words
from casework.models import Team

User = get_user_model()
ROLE_HINTS = {
    "frontline": "Raises concerns and works on the cases allocated to them.",
    "lead": "Triages, allocates, moves on and refers their teams' cases.",
    "auditor": "Reads every case and the audit log; changes nothing.",
    "analyst": "Sees partnership figures and reports; sees no case.",
    "administrator": "Manages staff, teams, partner agencies and timescales; sees no case.",
}


def administrator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to sign-in) as an active administrator (else a plain 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not staff.is_administrator(request.user):
            context = {"message": staff.NOT_AN_ADMINISTRATOR}
            return render(request, "staff/forbidden.html", context, status=403)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


# GOV.UK controls (workflows/_control.html draws them) ---------------------------------------


@dataclasses.dataclass
class Option:
    id: str
    value: str
    label: str
    checked: bool
    hint: str = ""


@dataclasses.dataclass
class Control:
    name: str
    id: str
    label: str
    kind: str
    value: str
    hint: str
    errors: list[str]
    options: list[Option]
    optional: bool


def _kind(field: forms.Field) -> str:
    widget = field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if getattr(widget, "input_type", "") == "date":
        return "date"
    return "text"


def controls_of(form: forms.Form) -> list[Control]:
    """The form's questions as GOV.UK controls; each input's id is the error's anchor."""
    controls = []
    for bound in form.visible_fields():
        kind = _kind(bound.field)
        value = bound.value()
        chosen = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
        # The template draws a select's empty "Select one" itself; radios and
        # checkboxes have no empty option. The first input's id is the question's name,
        # which the error summary links to.
        choices = [(str(v), str(label)) for v, label in getattr(bound.field, "choices", [])]
        options = [
            Option(f"{bound.name}-{i}" if i else bound.name, v, label, v in chosen)
            for i, (v, label) in enumerate(c for c in choices if c[0] != "")
        ]
        controls.append(
            Control(
                name=bound.name,
                id=bound.name,
                label=str(bound.label),
                kind=kind,
                value="" if value is None else str(value),
                hint=str(bound.help_text or ""),
                errors=list(bound.errors),
                options=options,
                optional=not bound.field.required,
            )
        )
    return controls


def error_summary(form: forms.Form) -> list[tuple[str, str]]:
    if not form.is_bound:
        return []
    visible = {b.name for b in form.visible_fields()}
    return [
        (name if name in visible else "", str(message))
        for name, errors in form.errors.items()
        for message in errors
    ]


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, on the questions it names (the rest on the form)."""
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def form_page(request: HttpRequest, template: str, form: forms.Form, **context: Any):
    status = 400 if form.is_bound and form.errors else 200
    context.update(form=form, controls=controls_of(form), error_summary=error_summary(form))
    return render(request, template, context, status=status)


# Forms ----------------------------------------------------------------------------------------

REASON_HINT = "This is kept in the audit log with your name."


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any):
        super().__init__(
            label=kwargs.pop("label", "Why are you making this change?"),
            help_text=REASON_HINT,
            widget=forms.Textarea,
            max_length=staff.REASON_MAX,
            error_messages={
                "required": "Enter why you are making this change",
                "max_length": f"Reason must be {staff.REASON_MAX} characters or fewer",
            },
            **kwargs,
        )


def _role_choices() -> list[tuple[str, str]]:
    return [(str(r), f"{r.label}: {ROLE_HINTS[str(r)]}") for r in staff.ASSIGNABLE_ROLES]


class TeamsField(forms.ModelMultipleChoiceField):
    def __init__(self) -> None:
        super().__init__(
            queryset=Team.objects.order_by("name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Teams",
            help_text="The teams whose cases they work on.",
        )

    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        widget=forms.RadioSelect,
        choices=_role_choices,
        error_messages={"required": "Select a role", "invalid_choice": "Select a role"},
    )
    teams = TeamsField()
    clearance = forms.ChoiceField(
        label="Prevent clearance",
        widget=forms.RadioSelect,
        choices=[("no", "Not cleared"), ("yes", "Cleared to work on Prevent cases")],
        initial="no",
        help_text="Only a safeguarding lead can be cleared. Prevent cases are need-to-know.",
        error_messages={"required": "Select whether they have Prevent clearance"},
    )
    reason = ReasonField()


class PersonAddForm(RoleForm):
    first_name = forms.CharField(
        label="First name", max_length=150, error_messages={"required": "Enter their first name"}
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, error_messages={"required": "Enter their last name"}
    )
    email = forms.CharField(
        label="Email address",
        max_length=254,
        help_text="Their work email. They sign in with it, and the link to set a password "
        "is sent to it.",
        error_messages={"required": "Enter their email address"},
    )
    field_order = ["first_name", "last_name", "email", "role", "teams", "clearance", "reason"]


class ReasonForm(forms.Form):
    reason = ReasonField()


# People ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class PersonRow:
    user: Any
    name: str
    role: str
    teams: str
    status: str
    last_sign_in: str


def _status(user: Any, locked: set[str]) -> str:
    if not user.is_active:
        return "Deactivated"
    if user.get_username() in locked:
        return "Locked"
    return "Active"


def _row(user: Any, locked: set[str]) -> PersonRow:
    teams = ", ".join(m.team.name for m in user.team_memberships.all()) or "None"
    return PersonRow(
        user=user,
        name=user.get_full_name() or user.get_username(),
        role=staff.staff_role_of(user).label,
        teams=teams,
        status=_status(user, locked),
        last_sign_in=datetime_words(user.last_login) if user.last_login else "Never",
    )


@administrator_required
@require_http_methods(["GET"])
def people_list(request: HttpRequest) -> HttpResponse:
    """Every member of staff: role, teams, whether active or locked, last sign-in."""
    people = list(staff.staff_list_for_user(request.user))
    locked = staff.staff_locked_usernames(u.get_username() for u in people)
    rows = [_row(u, locked) for u in people]
    waiting = [(a, approval_words(a)) for a in staff.staff_approval_list_for_user(request.user)]
    context = {"rows": rows, "waiting": waiting, "section": "people"}
    return render(request, "staff/people_list.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest) -> HttpResponse:
    form = PersonAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff.staff_add(
                actor=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                teams=data["teams"],
                cleared=data["clearance"] == "yes",
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"{user.get_full_name()} was added and sent a link to set a password."
            )
            return redirect("staff:person-detail", pk=user.pk)
    return form_page(request, "staff/person_form.html", form, heading="Add a member of staff")


@administrator_required
@require_http_methods(["GET"])
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff.staff_get_for_user(request.user, pk)
    locked = staff.staff_locked_usernames([user.get_username()])
    context = {
        "row": _row(user, locked),
        "person": user,
        "is_self": user.pk == request.user.pk,
        "locked": bool(locked),
        "waiting": staff.staff_approval_open(user),
        "api_tokens": api_tokens.api_tokens_for_user(request.user, user),
        "two_factor_enrolled": two_factor.two_factor_enrolled(user),
        "history": describe_events(staff.staff_history_for_user(request.user, user)[:50]),
        "section": "people",
    }
    return render(request, "staff/person_detail.html", context)


@administrator_required
@require_http_methods(["GET", "POST"])
def person_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Change someone's role, teams and Prevent clearance (never one's own role)."""
    user = staff.staff_get_for_user(request.user, pk)
    current = staff.staff_role_of(user)
    initial = {
        "role": str(current.role or ""),
        "teams": staff.team_ids(user),
        "clearance": "yes" if current.cleared else "no",
    }
    form = RoleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff.staff_change(
                actor=request.user,
                user=user,
                role=data["role"],
                teams=data["teams"],
                cleared=data["clearance"] == "yes",
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Their role and teams were saved.")
            return redirect("staff:person-detail", pk=user.pk)
    heading = f"Change {user.get_full_name() or user.get_username()}’s role and teams"
    return form_page(
        request,
        "staff/person_form.html",
        form,
        heading=heading,
        person=user,
        is_self=user.pk == request.user.pk,
    )


PERSON_ACTIONS: dict[str, tuple[Callable[..., Any], str, str, str]] = {
    # name: (service, heading, button, done message)
    "deactivate": (
        staff.staff_deactivate,
        "Deactivate {name}",
        "Deactivate",
        "{name} can no longer sign in. Their history is kept.",
    ),
    "reactivate": (
        staff.staff_reactivate,
        "Reactivate {name}",
        "Reactivate",
        "{name} can sign in again.",
    ),
    "reset-password": (
        staff.staff_password_reset,
        "Reset {name}’s password",
        "Send a reset link",
        "{name}’s password was reset and a one-time link sent to their email address.",
    ),
    "revoke-api-tokens": (
        staff.staff_api_tokens_revoke,
        "Revoke {name}’s API tokens",
        "Revoke their tokens",
        "{name}’s API tokens were revoked. Their scripts must sign in again.",
    ),
    "reset-two-factor": (
        two_factor.two_factor_reset,
        "Reset {name}’s two-factor sign-in",
        "Reset two-factor sign-in",
        "{name}’s two-factor sign-in was reset. They set up their app again when they next "
        "sign in.",
    ),
    "unlock": (
        staff.staff_unlock,
        "Unlock {name}’s account",
        "Unlock",
        "{name} can try to sign in again.",
    ),
}


@administrator_required
@require_http_methods(["GET", "POST"])
def person_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Deactivate, reactivate, reset a password or unlock: with a reason, audited."""
    if action not in PERSON_ACTIONS:
        raise Http404("No such action.")
    user = staff.staff_get_for_user(request.user, pk)
    service, heading, button, done = PERSON_ACTIONS[action]
    name = user.get_full_name() or user.get_username()
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, user=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied:
            return render(request, "staff/forbidden.html", status=403)
        else:
            messages.success(request, done.format(name=name))
            return redirect("staff:person-detail", pk=user.pk)
    return form_page(
        request,
        "staff/person_action.html",
        form,
        heading=heading.format(name=name),
        button=button,
        person=user,
        action=action,
    )


# The one-time link ----------------------------------------------------------------------------


def _user_from_link(uidb64: str, token: str) -> Any:
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None
    if not user.is_active or not default_token_generator.check_token(user, token):
        return None
    return user


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Choose a password from the one-time link an administrator had sent; the link stops
    working once a password is set (the token covers the password)."""
    user = _user_from_link(uidb64, token)
    if user is None:
        return render(request, "staff/link_expired.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        staff.staff_password_set(user=user, password=form.cleaned_data["new_password1"])
        return render(request, "staff/password_set.html")
    form.fields["new_password1"].label = "New password"
    form.fields["new_password2"].label = "Confirm new password"
    return form_page(request, "staff/set_password.html", form, person=user)


# Teams ----------------------------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=120, error_messages={"required": "Enter the team's name"}
    )
    area = forms.CharField(
        label="Area", max_length=200, required=False, help_text="For example, North Eastfield."
    )
    duty_lead_contact = forms.CharField(
        label="Duty lead contact",
        max_length=300,
        required=False,
        help_text="How to reach the team's duty lead, for example a phone number or mailbox.",
    )
    duty_lead_name = forms.CharField(
        label="Duty lead's name",
        max_length=120,
        required=False,
        help_text="Who someone raising an urgent concern should call after 999.",
        error_messages={"max_length": "Duty lead's name must be 120 characters or fewer"},
    )
    duty_phone = forms.CharField(
        label="Duty phone number",
        max_length=30,
        required=False,
        help_text="For example, 01632 960 001.",
        error_messages={"max_length": "Duty phone number must be 30 characters or fewer"},
    )
    reason = ReasonField()


@administrator_required
@require_http_methods(["GET"])
def team_list(request: HttpRequest) -> HttpResponse:
    teams = staff.team_list_for_user(request.user)
    return render(request, "staff/team_list.html", {"teams": teams, "section": "teams"})


@administrator_required
@require_http_methods(["GET", "POST"])
def team_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a team, or change one's name, area and duty lead contact."""
    team = staff.team_list_for_user(request.user).filter(pk=pk).first() if pk else None
    if pk and team is None:
        raise Http404("No team found.")
    initial = {}
    if team is not None:
        initial = {
            "name": team.name,
            "area": team.area,
            "duty_lead_contact": team.duty_lead_contact,
            "duty_lead_name": team.duty_lead_name,
            "duty_phone": team.duty_phone,
        }
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = staff.team_save(
                actor=request.user,
                team=team,
                name=data["name"],
                area=data["area"],
                duty_lead_contact=data["duty_lead_contact"],
                duty_lead_name=data["duty_lead_name"],
                duty_phone=data["duty_phone"],
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{saved.name} was saved.")
            return redirect("staff:teams")
    heading = f"Change {team.name}" if team else "Add a team"
    return form_page(
        request, "staff/simple_form.html", form, heading=heading, back=reverse("staff:teams")
    )


# A second administrator's approval ------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        choices=[("approve", "Approve the change"), ("decline", "Decline it")],
        error_messages={"required": "Select whether you approve the change"},
    )
    reason = ReasonField(label="Why?")


def approval_words(approval: Any) -> str:
    role = staff.StaffRole(staff.Role(approval.role), approval.cleared)
    return role.label


@administrator_required
@require_http_methods(["GET", "POST"])
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or decline a role or clearance another administrator asked for."""
    approval = staff.staff_approval_list_for_user(request.user).filter(pk=pk).first()
    if approval is None:
        raise Http404("No request waiting for a decision.")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            staff.staff_approval_decide(
                actor=request.user,
                approval=approval,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            done = "approved" if approve else "declined"
            messages.success(request, f"The change was {done}.")
            return redirect("staff:person-detail", pk=approval.user_id)
    name = approval.user.get_full_name() or approval.user.get_username()
    asked = approval.requested_by.get_full_name() or approval.requested_by.get_username()
    intro = (
        f"{asked} asked to make {name} {approval_words(approval).lower()}, because: "
        f"{approval.reason} A second administrator must approve an auditor's role or "
        "Prevent clearance before it takes effect."
    )
    return form_page(
        request,
        "staff/simple_form.html",
        form,
        heading=f"Approve a change to {name}’s role",
        intro=intro,
        back=reverse("staff:people"),
        button="Save decision",
    )
