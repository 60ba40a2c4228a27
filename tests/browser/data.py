"""What the browser tests type: a realistic concern of each type, by intake field name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


# What a frontline worker would type for each type of concern. Every required intake
# field of the workflow must have an answer here (the test says which are missing).
INTAKE: dict[str, dict[str, Any]] = {
    "modern_slavery": {
        "summary": "Seen sleeping at the car wash on Mill Lane; says she is not paid.",
        "subject_given_names": "Maria",
        "subject_family_name": "Kowalska",
        "subject_estimated_age": 34,
        "nationality": "Polish",
        "exploitation_types": ["labour", "domestic_servitude"],
        "exploitation_location": "Car wash, Mill Lane, Northtown",
        "exploitation_period": "Since spring 2026",
        "indicators": "No documents; a man collects her wages each Friday.",
        "consent_status": "not_asked",
        "immediate_risk": False,
    },
    "cuckooing": {
        "summary": "Neighbours report a stream of visitors at a vulnerable tenant's flat.",
        "premises_address": "Flat 3, 14 Larch Close, Northtown",
        "premises_postcode": "NT4 7QP",
        "premises_tenure": "council",
        "occupier_given_names": "Derek",
        "occupier_family_name": "Hollis",
        "occupier_vulnerabilities": ["learning_disability", "substance_misuse"],
        "what_was_seen": "Ten or more visitors an evening since 2 November; door left open.",
        "indicators": ["increased_visitors", "new_unknown_associates"],
        "children_present": False,
        "police_informed": True,
        "police_reference": "NT/26/44120",
    },
    "cse": {
        "summary": "A 14-year-old girl seen getting into cars with older men after school.",
        "subject_given_names": "Lena",
        "subject_family_name": "Brzezinska",
        "subject_estimated_age": 14,
        "kinds": ["sexual"],
        "indicators": ["older_associates", "gifts_or_money"],
        "what_has_happened": "She had a new phone and said an older friend bought it.",
        "school": "Northtown Academy",
        "parental_consent": "given",
        "immediate_danger": False,
    },
    "prevent": {
        "summary": "A student has been sharing extremist videos and talking of travel.",
        "subject_given_names": "Sam",
        "subject_family_name": "Carter",
        "subject_estimated_age": 19,
        "nationality": "British",
        "concerns": "Shared videos praising an attack; asked classmates about travel abroad.",
        "aware_of_referral": "no",
        "immediate_risk": False,
    },
    "community_trigger": {
        "summary": "A resident asks for a case review of repeated anti-social behaviour.",
        "applicant_given_names": "Joan",
        "applicant_family_name": "Patel",
        "application_basis": "affected_person",
        "victim_consent": False,
        "hate_incident": False,
        "asb_description": "Youths gather outside her house at night, shouting and kicking doors.",
        "incidents": [
            {
                "incident_date": days_ago(40),
                "description": "Door kicked at midnight.",
                "reported_to": "Police",
                "reported_on": days_ago(39),
            },
            {
                "incident_date": days_ago(20),
                "description": "Bins set alight.",
                "reported_to": "Council ASB team",
                "reported_on": days_ago(20),
            },
            {
                "incident_date": days_ago(5),
                "description": "Shouting and threats at the window.",
                "reported_to": "Housing association",
                "reported_on": days_ago(4),
            },
        ],
    },
}

# "Not sure which": a short general concern whose type a lead chooses (issue 19).
INTAKE["unclassified"] = {
    "summary": "Worried about a young man who sleeps at the car wash.",
    "subject_given_names": "A young man in a red coat",
    "subject_estimated_age": 19,
    "location": "The car wash on Mill Lane, Northtown",
    "what_happened": "He sleeps there and says he is not paid. A van collects him at 6am.",
    "immediate_risk": False,
}

# A death for review is recorded by a lead (a named compartment, RULES.md §6).
INTAKE["dhr"] = {
    "summary": "The police notified the partnership in writing of a death at home.",
    "subject_given_names": "Joanne",
    "subject_family_name": "Marsh",
    "subject_date_of_birth": "1984-05-17",
    "date_of_death": days_ago(3),
    "notified_on": days_ago(2),
    "notifying_force": "Northshire Police",
    "relationship": "intimate_partner",
    "review_type": "homicide",
    "circumstances": "Found dead at home; her partner has been arrested.",
}
