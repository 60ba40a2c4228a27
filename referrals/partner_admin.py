"""Partner agencies in the administrator's own pages (issue 20): each partner's secure
mailbox and contact details, and how long it is expected to take to answer each type of
referral it takes. Services audit every change with who made it and why; views are thin.
Partners are never deleted (their referrals keep pointing at them): made inactive."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.audit import AuditVerb, audit_record
from casework.staff import is_administrator, reason_clean, require_administrator
from casework.staff_views import ReasonField, administrator_required, apply_errors, form_page
from referrals.models import (
    PartnerAgency,
    PartnerKind,
    PartnerResponseTime,
    ReferralType,
    ResponseUnit,
)
from referrals.types import REFERRAL_TYPES

PARTNER_FIELDS = (
    "name", "kind", "secure_email", "contact_email", "phone", "address", "notes", "active",
)  # fmt: skip


def partner_list_for_user(user: Any) -> QuerySet[PartnerAgency]:
    """Every partner agency with its response times, for an administrator."""
    if not is_administrator(user):
        return PartnerAgency.objects.none()
    times = PartnerResponseTime.objects.order_by("referral_type")
    return PartnerAgency.objects.prefetch_related(
        Prefetch("response_times", queryset=times)
    ).order_by("name")


def referral_types_for_kind(kind: str) -> list[str]:
    """The referral types a partner of ``kind`` takes."""
    return [value for value, spec in REFERRAL_TYPES.items() if kind in spec.partner_kinds]


def _clean(values: dict[str, Any], partner: PartnerAgency | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = ["Enter the partner's name"]
    elif PartnerAgency.objects.filter(name__iexact=name).exclude(pk=getattr(partner, "pk", None)):
        errors["name"] = ["A partner agency with this name already exists"]
    if values.get("kind") not in PartnerKind.values:
        errors["kind"] = ["Select the kind of partner"]
    for key in ("secure_email", "contact_email"):
        address = (values.get(key) or "").strip().lower()
        values[key] = address
        if address:
            try:
                validate_email(address)
            except ValidationError:
                errors[key] = [
                    "Enter an email address in the correct format, like name@example.gov.uk"
                ]
    if errors:
        raise ValidationError(errors)
    return {
        **values,
        "name": name,
        **{k: (values.get(k) or "").strip() for k in ("phone", "address", "notes")},
    }


@transaction.atomic
def partner_save(
    *, actor: Any, partner: PartnerAgency | None, values: dict[str, Any], reason: str
) -> PartnerAgency:
    """Add a partner agency or change one (name, kind, secure mailbox, contacts, whether
    active); audited with before and after of what changed and why."""
    require_administrator(actor)
    clean = _clean({k: values.get(k) for k in PARTNER_FIELDS}, partner)
    reason = reason_clean(reason)
    if partner is None:
        partner = PartnerAgency.objects.create(**clean)
        data: dict[str, Any] = {"partner": partner.pk, **clean}
    else:
        partner = PartnerAgency.objects.select_for_update().get(pk=partner.pk)
        changed = {
            k: {"before": getattr(partner, k), "after": v}
            for k, v in clean.items()
            if getattr(partner, k) != v
        }
        if not changed:
            raise ValidationError({"name": ["Change the partner's details, or cancel"]})
        for key, value in clean.items():
            setattr(partner, key, value)
        partner.save()
        data = {"partner": partner.pk, **changed}
    audit_record(
        actor=actor, verb=AuditVerb.PARTNER_SAVED, target=partner, data={**data, "reason": reason}
    )
    return partner


@transaction.atomic
def partner_response_time_set(
    *,
    actor: Any,
    partner: PartnerAgency,
    referral_type: str,
    duration: int,
    unit: str,
    reason: str,
) -> PartnerResponseTime:
    """Set how long ``partner`` is expected to take to answer a type of referral it takes;
    a referral sent afterwards starts its response clock from it."""
    require_administrator(actor)
    errors: dict[str, list[str]] = {}
    if referral_type not in referral_types_for_kind(partner.kind):
        errors["referral_type"] = ["Select a type of referral this partner takes"]
    if unit not in ResponseUnit.values:
        errors["unit"] = ["Select working days or hours"]
    if not isinstance(duration, int) or duration < 1:
        errors["duration"] = ["Enter a whole number of 1 or more"]
    if errors:
        raise ValidationError(errors)
    reason = reason_clean(reason)
    current = PartnerResponseTime.objects.filter(partner=partner, referral_type=referral_type)
    before = current.values("duration", "unit").first()
    time, _ = PartnerResponseTime.objects.update_or_create(
        partner=partner,
        referral_type=referral_type,
        defaults={
            "duration": duration,
            "unit": unit,
            "source": f"Set by an administrator: {reason}",
        },
    )
    words = dict(ResponseUnit.choices)
    data = {
        "partner": partner.pk,
        "referral_type": referral_type,
        "duration": {
            "before": f"{before['duration']} {words[before['unit']].lower()}" if before else "",
            "after": f"{duration} {words[unit].lower()}",
        },
        "reason": reason,
    }
    audit_record(actor=actor, verb=AuditVerb.PARTNER_SAVED, target=partner, data=data)
    return time


# Pages ----------------------------------------------------------------------------------------


class PartnerForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the partner's name"}
    )
    kind = forms.ChoiceField(
        label="Kind of partner",
        choices=[("", "Select one"), *PartnerKind.choices],
        error_messages={"required": "Select the kind of partner"},
    )
    secure_email = forms.CharField(
        label="Secure mailbox",
        required=False,
        max_length=254,
        help_text="Where referrals are sent: a secure or government mailbox.",
    )
    contact_email = forms.CharField(label="Contact email", required=False, max_length=254)
    phone = forms.CharField(label="Phone", required=False, max_length=50)
    # Where a referral goes when the partner has no secure mailbox (issue 19): shown to
    # the lead who records it as sent.
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=500,
        widget=forms.Textarea,
        help_text="Where referrals go by post, if the partner has no secure mailbox.",
        error_messages={"max_length": "The address must be 500 characters or fewer"},
    )
    notes = forms.CharField(
        label="How it takes referrals",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        help_text="For example, the address of its online referral portal, or who to phone.",
        error_messages={"max_length": "How it takes referrals must be 2,000 characters or fewer"},
    )
    active = forms.ChoiceField(
        label="Is the partner in use?",
        widget=forms.RadioSelect,
        choices=[("yes", "Yes, referrals can be made to it"), ("no", "No, no longer used")],
        initial="yes",
        error_messages={"required": "Select whether the partner is in use"},
    )
    reason = ReasonField()


class ResponseTimeForm(forms.Form):
    referral_type = forms.ChoiceField(
        label="Type of referral", error_messages={"required": "Select a type of referral"}
    )
    duration = forms.IntegerField(
        label="Expected response time",
        min_value=1,
        max_value=365,
        error_messages={
            "required": "Enter the expected response time",
            "invalid": "Expected response time must be a whole number",
            "min_value": "Expected response time must be 1 or more",
            "max_value": "Expected response time must be 365 or fewer",
        },
    )
    unit = forms.ChoiceField(
        label="Counted in",
        widget=forms.RadioSelect,
        choices=ResponseUnit.choices,
        error_messages={"required": "Select working days or hours"},
    )
    reason = ReasonField()

    def __init__(self, *args: Any, partner: PartnerAgency, **kwargs: Any):
        super().__init__(*args, **kwargs)
        labels = dict(ReferralType.choices)
        self.fields["referral_type"].choices = [
            ("", "Select one"),
            *[(t, labels[t]) for t in referral_types_for_kind(partner.kind)],
        ]


def _partner(request: HttpRequest, pk: int) -> PartnerAgency:
    partner = partner_list_for_user(request.user).filter(pk=pk).first()
    if partner is None:
        raise Http404("No partner agency found.")
    return partner


@administrator_required
@require_http_methods(["GET"])
def partner_list(request: HttpRequest) -> HttpResponse:
    partners = partner_list_for_user(request.user)
    return render(request, "staff/partner_list.html", {"partners": partners, "section": "partners"})


@administrator_required
@require_http_methods(["GET", "POST"])
def partner_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    partner = _partner(request, pk) if pk else None
    initial = {}
    if partner is not None:
        initial = {k: getattr(partner, k) for k in PARTNER_FIELDS}
        initial["active"] = "yes" if partner.active else "no"
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {**form.cleaned_data, "active": form.cleaned_data["active"] == "yes"}
        try:
            saved = partner_save(
                actor=request.user, partner=partner, values=values, reason=values["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{saved.name} was saved.")
            return redirect("staff:partners")
    heading = f"Change {partner.name}" if partner else "Add a partner agency"
    return form_page(
        request, "staff/simple_form.html", form, heading=heading, back=reverse("staff:partners")
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def partner_response_time(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    form = ResponseTimeForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner_response_time_set(
                actor=request.user,
                partner=partner,
                referral_type=data["referral_type"],
                duration=data["duration"],
                unit=data["unit"],
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{partner.name}'s expected response time was saved.")
            return redirect("staff:partners")
    return form_page(
        request,
        "staff/simple_form.html",
        form,
        heading=f"Set {partner.name}'s expected response time",
        intro="A referral sent after this starts its response clock from the new time.",
        back=reverse("staff:partners"),
    )
