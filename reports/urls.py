"""Report pages under /reports/ (issue 21)."""

app_name = "reports"

urlpatterns: list = []
