"""Cuckooing: the closure powers leave the safeguarding route and run beside it (issue 15).

A case that was in one of the three closure states moves back to the state the closure
powers were entered from, "Safety plan active" (the only one they could be entered from
before), with the closure powers' own state (``details["closure_state"]``) where it was.
The CHECK constraint then refuses the three old states (workflows/constraints.py).
"""

import importlib

from django.db import migrations

CLOSURE_STATES = ("closure_notice_issued", "closure_order_hearing", "closure_order_in_force")
ADD_CONSTRAINT = """
ALTER TABLE casework_case ADD CONSTRAINT casework_case_state_valid CHECK (
      (case_type = 'community_trigger' AND state IN ('application_received', 'acknowledged', 'information_gathering', 'threshold_decision', 'threshold_met', 'threshold_not_met', 'review_meeting_scheduled', 'review_meeting_held', 'outcome_communicated', 'action_plan_monitoring', 'escalation_requested', 'escalation_decided', 'withdrawn', 'closed'))
      OR (case_type = 'cse' AND state IN ('concern_raised', 'immediate_protection', 'referred_to_mash', 'early_help', 's17_assessment', 'cin_plan', 'strategy_discussion', 's47_enquiry', 'icpc', 'cp_plan_active', 'cp_plan_ended', 'closed'))
      OR (case_type = 'cuckooing' AND state IN ('concern_raised', 'immediate_risk_action', 'safeguarding_concern_submitted', 's42_triage', 's42_enquiry', 'non_statutory_enquiry', 'multi_agency_risk_meeting', 'safety_plan_active', 'review', 'closed'))
      OR (case_type = 'dhr' AND state IN ('death_notified', 'scoping', 'review_decided', 'no_review_decided', 'home_office_notified', 'panel_established', 'imrs_chronologies', 'overview_report_drafted', 'csp_signed_off', 'home_office_qa', 'revisions_requested', 'qa_approved', 'published', 'action_plan_monitoring', 'closed'))
      OR (case_type = 'modern_slavery' AND state IN ('concern_raised', 'triage', 'child_welfare_notified', 'adult_consent_sought', 'consent_given', 'dtn_submitted', 'awaiting_rg', 'recovery_period', 'rg_negative', 'cg_positive', 'cg_negative', 'withdrawn', 'closed'))
      OR (case_type = 'prevent' AND state IN ('concern_raised', 'referral_submitted', 'gateway_assessment', 'channel_info_gathering', 'channel_panel', 'adopted', 'consent_requested', 'consent_refused', 'support_active', 'consent_withdrawn', 'exited', 'post_exit_review_6m', 'post_exit_review_12m', 'closed'))
)
"""
DROP_CONSTRAINT = "ALTER TABLE casework_case DROP CONSTRAINT IF EXISTS casework_case_state_valid"
PREVIOUS = importlib.import_module("workflows.migrations.0010_dhr_case_type").ADD_CONSTRAINT


def forwards(apps, schema_editor):
    Case = apps.get_model("casework", "Case")
    cases = Case.objects.filter(case_type="cuckooing", state__in=CLOSURE_STATES)
    for case in cases.iterator():
        case.details = {**(case.details or {}), "closure_state": case.state}
        case.state = "safety_plan_active"
        case.save(update_fields=["details", "state"])


def backwards(apps, schema_editor):
    Case = apps.get_model("casework", "Case")
    cases = Case.objects.filter(
        case_type="cuckooing",
        state="safety_plan_active",
        details__closure_state__in=CLOSURE_STATES,
    )
    for case in cases.iterator():
        case.state = case.details["closure_state"]
        case.save(update_fields=["state"])


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0018_case_type_labels"),
        ("workflows", "0010_dhr_case_type"),
    ]

    operations = [
        migrations.RunSQL(DROP_CONSTRAINT, PREVIOUS),
        migrations.RunPython(forwards, backwards),
        migrations.RunSQL(ADD_CONSTRAINT, DROP_CONSTRAINT),
    ]
