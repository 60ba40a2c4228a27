"""What a referral says when it leaves Safecase: the sections of its print view and PDF,
the reference that heads every page, and the PDF itself with its file name.

The page views (print, download) and the sending service (``referrals.services``, which
emails the PDF to the partner's secure mailbox) draw from here, so a partner receives
exactly what the lead printed or downloaded.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from referrals import presenters
from referrals.models import Referral, ReferralState
from referrals.pdf import referral_pdf
from referrals.types import REFERRAL_TYPES, ReferralTypeSpec

ANONYMOUS_NOTICE = (
    "Anonymous Duty to Notify (Modern Slavery Act 2015, section 52(3)): this notification holds "
    "nothing that identifies the person."
)


def anonymous_reference(referral: Referral) -> str:
    """A reference for an anonymous notification only (MSA 2015 s52(3), issue 15): the
    council's case reference would link the notification to the person's case, so what
    is sent carries this one instead. Derived from the referral's number with the
    deployment's secret key: stable, and meaningless outside Safecase."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"dtn-{referral.pk}".encode(), hashlib.sha256
    ).hexdigest()
    return f"DTN-{digest[:10].upper()}"


def running_reference(spec: ReferralTypeSpec, referral: Referral) -> str:
    """What heads every printed page: the case and referral, or for an anonymous
    notification its referral-only reference."""
    if spec.anonymous:
        return f"Notification {anonymous_reference(referral)}"
    return f"Case {referral.case.reference} · Referral {referral.pk}"


def sections(spec: ReferralTypeSpec, referral: Referral) -> list[tuple[str, list]]:
    partner = referral.partner
    if spec.anonymous:
        reference = presenters.Row("Notification reference", [anonymous_reference(referral)])
    else:
        reference = presenters.Row("Case reference", [referral.case.reference])
    about = [
        reference,
        presenters.Row("Type of referral", [spec.label]),
        presenters.Row("To", [partner.name]),
        presenters.Row("Partner's secure email", [partner.secure_email or "Not recorded"]),
        presenters.Row("Status", [str(ReferralState(referral.state).label)]),
        presenters.Row("Sent", [presenters.datetime_words(referral.sent_at) or "Not sent (draft)"]),
    ]
    if referral.partner_reference:
        about.append(presenters.Row("Partner's reference", [referral.partner_reference]))
    return [
        ("About this referral", about),
        ("The referral", presenters.content_rows(spec, referral)),
        ("Lawful basis for sharing", presenters.lawful_basis_rows(referral)),
        ("The partner's decision", presenters.decision_rows(spec, referral)),
    ]


def pdf_filename(referral: Referral) -> str:
    spec = REFERRAL_TYPES[referral.referral_type]
    if spec.anonymous:
        return f"{anonymous_reference(referral)}.pdf"
    return f"{referral.case.reference}-referral-{referral.pk}.pdf"


def referral_pdf_bytes(referral: Referral) -> bytes:
    """The referral as a PDF, as it stands now."""
    spec = REFERRAL_TYPES[referral.referral_type]
    return referral_pdf(
        reference=running_reference(spec, referral).replace(" · ", "  |  "),
        title=spec.label,
        notice=ANONYMOUS_NOTICE if spec.anonymous else "",
        sections=sections(spec, referral),
    )
