from django.apps import AppConfig


class FootageConfig(AppConfig):
    name = "footage"
    verbose_name = "CCTV footage requests"

    def ready(self) -> None:
        # The footage clock is acted on by the same deadline sweep as every other clock.
        from footage.reminders import footage_sweep
        from workflows.reminders import sweep_register

        sweep_register(footage_sweep)
