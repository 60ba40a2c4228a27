from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows and deadlines"

    def ready(self) -> None:
        # The audit pages (casework, which knows no case type) show the workflows' own
        # labels for states, transitions, clocks and step inputs.
        from casework.audit import audit_labeller_register
        from casework.audit_describe import audit_fields_register
        from casework.chronology import chronology_source_register
        from workflows.audit_labels import clock_outcomes, workflow_extra_label, workflow_field
        from workflows.registry import workflow_label

        audit_labeller_register(workflow_label)
        audit_labeller_register(workflow_extra_label)
        audit_fields_register(workflow_field)
        chronology_source_register(clock_outcomes)

        # The home page lists the user's unfinished concerns (their intake drafts).
        from casework.views import home_dashboard_register
        from workflows.views import home_drafts

        home_dashboard_register(home_drafts)
