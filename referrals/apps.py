from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Partner referrals"

    def ready(self) -> None:
        from casework.audit import audit_labeller_register, audit_namer_register
        from casework.audit_describe import audit_fields_register
        from referrals.audit_labels import partner_names, referral_field, referral_label

        # The audit trail names partners as they were, and labels referral codes.
        audit_namer_register("partners", partner_names, "partner")
        audit_labeller_register(referral_label)
        audit_fields_register(referral_field)
