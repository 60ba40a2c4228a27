from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        # Connects the receivers (the sign-out message, the session start time, the
        # audit of every change of role, permission, flag or password).
        from casework import checks, role_audit, sessions, signals  # noqa: F401
