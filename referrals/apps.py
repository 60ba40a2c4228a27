from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Partner referrals"

    def ready(self) -> None:
        # The home page (casework, which knows no case type, clock or referral) shows
        # each role's dashboard, built here where all of them are known.
        from casework.audit import audit_labeller_register, audit_namer_register
        from casework.audit_describe import audit_fields_register
        from casework.views import home_dashboard_register
        from referrals.audit_labels import partner_names, referral_field, referral_label
        from referrals.dashboard import home_dashboard

        home_dashboard_register(home_dashboard)
        # The audit trail names partners as they were, and labels referral codes.
        audit_namer_register("partners", partner_names, "partner")
        audit_labeller_register(referral_label)
        audit_fields_register(referral_field)
