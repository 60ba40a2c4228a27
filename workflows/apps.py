from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows and deadlines"

    def ready(self) -> None:
        # The audit pages (casework, which knows no case type) show the workflows' own
        # labels for states, transitions and clocks.
        from casework.audit import audit_labeller_register
        from workflows.registry import workflow_label

        audit_labeller_register(workflow_label)
