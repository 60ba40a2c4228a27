from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        # Connects the receivers (the sign-out message, the session start time).
        from casework import sessions, signals  # noqa: F401
