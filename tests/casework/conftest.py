"""Fixtures shared by the casework tests that act on one case: who is who, a modern
slavery case allocated to a worker, a Prevent case, and a private media root."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.models import Case
from casework.roles import Role
from tests.samples import ADULT, PREVENT_SUBJECT
from tests.workflows.walker import default_raise
from workflows import modern_slavery, prevent


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Attachments go to a directory of this test's own."""
    settings.SAFECASE_MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def people(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "worker": make_user("worker.north", Role.FRONTLINE, ["north"]),
        "colleague": make_user("colleague.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "other_lead": make_user("lead.south", Role.LEAD, ["south"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


@pytest.fixture
def case(people):
    """A modern slavery case raised by frontline staff, allocated to another worker."""
    raised = default_raise(modern_slavery.WORKFLOW, people["frontline"])(ADULT)
    Case.objects.filter(pk=raised.pk).update(owner=people["worker"])
    return Case.objects.get(pk=raised.pk)


@pytest.fixture
def prevent_case(people):
    return default_raise(prevent.WORKFLOW, people["frontline"])(PREVENT_SUBJECT)
