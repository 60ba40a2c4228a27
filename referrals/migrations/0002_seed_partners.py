"""Seed the standard partner agencies and their expected response times.

Where RULES.md gives a timescale it is used, with its source; the rest are a local
default. None is statutory, so administrators change them in the admin (and fill in
each partner's contact details, which vary by area).
"""

from django.db import migrations

LOCAL_DEFAULT = "Local default (RULES.md gives no timescale); configurable in the admin"

PARTNERS = [
    (
        "Home Office Single Competent Authority (SCA)",
        "home_office_sca",
        [
            ("nrm_referral", 5, "working_days",
             "RULES.md §1.4: reasonable grounds decision, Home Office guidance target of 5 "
             "working days (not statutory); configurable"),
            ("dtn_anonymous", 5, "working_days", LOCAL_DEFAULT),
        ],
    ),
    (
        "Home Office Immigration Enforcement Competent Authority (IECA)",
        "home_office_ieca",
        [
            ("nrm_referral", 5, "working_days",
             "RULES.md §1.4: reasonable grounds decision, Home Office guidance target of 5 "
             "working days (not statutory); configurable"),
            ("dtn_anonymous", 5, "working_days", LOCAL_DEFAULT),
        ],
    ),
    (
        "Police",
        "police",
        [
            ("prevent_referral", 5, "working_days",
             "RULES.md §4.3: the police gateway assessment takes on average up to 5 days "
             "(descriptive, local default); configurable"),
            ("review_meeting_request", 10, "working_days", LOCAL_DEFAULT),
        ],
    ),
    (
        "Children's social care (MASH)",
        "childrens_social_care_mash",
        [
            ("mash_referral", 1, "working_days",
             "RULES.md §3.3: decision on a referral within 1 working day (Working Together "
             "as quoted by partnerships); configurable"),
        ],
    ),
    (
        "Adult social care",
        "adult_social_care",
        [
            ("adult_safeguarding_concern", 1, "working_days",
             "RULES.md §2.5: local practice (same working day or within 24 hours in one "
             "area, 2 to 5 working days in others); configurable"),
        ],
    ),
    ("Channel panel", "channel_panel", []),
    ("Victim Care Contract provider (The Salvation Army)", "victim_care_provider", []),
]


def seed(apps, schema_editor):
    PartnerAgency = apps.get_model("referrals", "PartnerAgency")
    PartnerResponseTime = apps.get_model("referrals", "PartnerResponseTime")
    for name, kind, times in PARTNERS:
        partner, _ = PartnerAgency.objects.get_or_create(name=name, defaults={"kind": kind})
        for referral_type, duration, unit, source in times:
            PartnerResponseTime.objects.get_or_create(
                partner=partner,
                referral_type=referral_type,
                defaults={"duration": duration, "unit": unit, "source": source},
            )


def unseed(apps, schema_editor):
    PartnerAgency = apps.get_model("referrals", "PartnerAgency")
    PartnerAgency.objects.filter(
        name__in=[name for name, _, _ in PARTNERS], referrals__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_partners_and_referrals")]

    operations = [migrations.RunPython(seed, unseed)]
