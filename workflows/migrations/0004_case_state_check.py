from django.db import migrations

# The states each workflow declared when this migration was written (RULES.md §1-§5).
# When a workflow's states change, add a migration that drops and re-adds the constraint
# with workflows.constraints.state_check_sql(valid_states()).
ADD_CONSTRAINT = """
ALTER TABLE casework_case ADD CONSTRAINT casework_case_state_valid CHECK (
      (case_type = 'community_trigger' AND state IN ('application_received', 'acknowledged', 'information_gathering', 'threshold_decision', 'threshold_met', 'threshold_not_met', 'review_meeting_scheduled', 'review_meeting_held', 'outcome_communicated', 'action_plan_monitoring', 'escalation_requested', 'escalation_decided', 'withdrawn', 'closed'))
      OR (case_type = 'cse' AND state IN ('concern_raised', 'immediate_protection', 'referred_to_mash', 'early_help', 's17_assessment', 'cin_plan', 'strategy_discussion', 's47_enquiry', 'icpc', 'cp_plan_active', 'cp_plan_ended', 'closed'))
      OR (case_type = 'cuckooing' AND state IN ('concern_raised', 'immediate_risk_action', 'safeguarding_concern_submitted', 's42_triage', 's42_enquiry', 'non_statutory_enquiry', 'multi_agency_risk_meeting', 'safety_plan_active', 'closure_notice_issued', 'closure_order_hearing', 'closure_order_in_force', 'review', 'closed'))
      OR (case_type = 'modern_slavery' AND state IN ('concern_raised', 'triage', 'child_welfare_notified', 'adult_consent_sought', 'consent_given', 'dtn_submitted', 'awaiting_rg', 'recovery_period', 'rg_negative', 'cg_positive', 'cg_negative', 'withdrawn', 'closed'))
      OR (case_type = 'prevent' AND state IN ('concern_raised', 'referral_submitted', 'gateway_assessment', 'channel_info_gathering', 'channel_panel', 'adopted', 'consent_requested', 'consent_refused', 'support_active', 'consent_withdrawn', 'exited', 'post_exit_review_6m', 'post_exit_review_12m', 'closed'))
)
"""


class Migration(migrations.Migration):
    """The database refuses a case state its workflow does not declare."""

    dependencies = [
        ("workflows", "0003_case_type_workflows"),
        ("casework", "0003_case_reference_sequence"),
    ]

    operations = [
        migrations.RunSQL(
            ADD_CONSTRAINT,
            "ALTER TABLE casework_case DROP CONSTRAINT casework_case_state_valid",
        )
    ]
