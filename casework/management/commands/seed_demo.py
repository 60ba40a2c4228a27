"""Load the demo teams and one user per role (shared/API.md "Demo data"); idempotent."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from casework.demo_devices import demo_device_ensure
from casework.roles import Role
from casework.services import roles_ensure, team_ensure, user_ensure

DEMO_USERS = [
    # username, role, teams, first name, last name
    ("frontline.north", Role.FRONTLINE, ["north"], "Fran", "North"),
    ("frontline.south", Role.FRONTLINE, ["south"], "Sam", "South"),
    ("lead.north", Role.LEAD, ["north"], "Lee", "North"),
    ("lead.south", Role.LEAD, ["south"], "Lou", "South"),
    ("prevent.lead", Role.PREVENT_LEAD, ["north", "south"], "Priya", "Lead"),
    ("auditor", Role.AUDITOR, [], "Ada", "Auditor"),
    ("analyst", Role.ANALYST, [], "Ana", "Analyst"),
    ("admin", Role.ADMINISTRATOR, [], "Alex", "Admin"),
]
TEAMS = [("north", "North locality team"), ("south", "South locality team")]


class Command(BaseCommand):
    help = "Create the demo teams (north, south) and one demo user per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for every demo user (default: SAFECASE_DEMO_PASSWORD).",
        )

    def handle(self, *args, **options):
        password = options["password"] or settings.SAFECASE_DEMO_PASSWORD
        if not password:
            raise CommandError("No demo password: pass --password or set SAFECASE_DEMO_PASSWORD.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("The demo password is too weak: " + " ".join(exc.messages)) from exc
        roles_ensure()
        teams = {slug: team_ensure(slug=slug, name=name) for slug, name in TEAMS}
        for username, role, team_slugs, first, last in DEMO_USERS:
            user = user_ensure(
                username=username,
                password=password,
                role=role,
                teams=[teams[s] for s in team_slugs],
                first_name=first,
                last_name=last,
                email=f"{username}@safecase.invalid",
            )
            # Those who need a second factor get a demo device: manage.py demo_codes.
            demo_device_ensure(user, password)
        self.stdout.write(
            f"Demo data ready: teams {', '.join(t for t, _ in TEAMS)}; "
            f"users {', '.join(u[0] for u in DEMO_USERS)}."
        )
        # By name, so that casework does not import the footage app.
        call_command("seed_cameras", stdout=self.stdout)
        call_command("seed_indicators", stdout=self.stdout)
