from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports and statutory returns"

    def ready(self) -> None:
        # The home page (casework, which knows no case type, clock or referral) shows
        # each role's dashboard, built here, in the top layer, where all of them are known.
        from casework.views import home_dashboard_register
        from reports.dashboards import home_dashboard

        home_dashboard_register(home_dashboard)
