from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Partner referrals"

    def ready(self) -> None:
        # The home page (casework, which knows no case type, clock or referral) shows
        # each role's dashboard, built here where all of them are known.
        from casework.views import home_dashboard_register
        from referrals.dashboard import home_dashboard

        home_dashboard_register(home_dashboard)
