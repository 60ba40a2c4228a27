"""Who sees which case: case_list_for_user / case_get_for_user (DESIGN.md "Access")."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from casework.models import Case, Team
from casework.roles import Role
from casework.selectors import (
    case_content_list_for_user,
    case_get_for_user,
    case_is_limited,
    case_list_for_user,
    team_case_list_for_user,
)
from casework.services import prevent_clearance_set


@pytest.fixture
def people(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "frontline_other": make_user("frontline.north2", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "cleared": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "cleared_south": make_user("prevent.south", Role.PREVENT_LEAD, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "cleared_auditor": cleared_auditor(make_user),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


def cleared_auditor(make_user):
    """An auditor an administrator gave Prevent clearance (issue 15)."""
    auditor = make_user("cleared.auditor", Role.AUDITOR, [])
    admin = make_user("clearance.admin", Role.ADMINISTRATOR, [])
    prevent_clearance_set(user=auditor, actor=admin, cleared=True)
    return auditor


def make_case(ref, case_type, state, team_slug, raised_by, owner=None):
    return Case.objects.create(
        reference=ref, case_type=case_type, state=state, summary="s",
        team=Team.objects.get(slug=team_slug), raised_by=raised_by, owner=owner,
        raised_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def cases(people):
    return {
        "raised": make_case("SC-1", "cse", "concern_raised", "north", people["frontline"]),
        "allocated": make_case(
            "SC-2", "cse", "referred_to_mash", "north", people["lead"], people["frontline"]
        ),
        "team": make_case("SC-3", "cuckooing", "concern_raised", "north", people["lead"]),
        "south": make_case("SC-4", "cse", "concern_raised", "south", people["lead_south"]),
        "prevent": make_case("SC-5", "prevent", "concern_raised", "north", people["frontline"]),
        "prevent_south": make_case(
            "SC-6", "prevent", "concern_raised", "south", people["cleared_south"]
        ),
    }


EXPECTED = {
    "frontline": {"raised", "allocated", "prevent"},
    "frontline_other": set(),
    "lead": {"raised", "allocated", "team"},
    "lead_south": {"south"},
    "cleared": {"raised", "allocated", "team", "prevent"},
    "cleared_south": {"south", "prevent_south"},
    # Without Prevent clearance an auditor sees nothing of Prevent (RULES.md §4.5).
    "auditor": {"raised", "allocated", "team", "south"},
    "cleared_auditor": {"raised", "allocated", "team", "south", "prevent", "prevent_south"},
    "admin": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_exactly_its_cases(people, cases, who):
    user = people[who]
    seen = set(case_list_for_user(user).values_list("reference", flat=True))
    assert seen == {cases[name].reference for name in EXPECTED[who]}
    for name, case in cases.items():
        if name in EXPECTED[who]:
            assert case_get_for_user(user, case.reference) == case
        else:
            with pytest.raises(Http404):
                case_get_for_user(user, case.reference)


@pytest.mark.django_db
def test_missing_and_hidden_cases_are_the_same_404(people, cases):
    with pytest.raises(Http404) as hidden:
        case_get_for_user(people["lead_south"], cases["raised"].reference)
    with pytest.raises(Http404) as missing:
        case_get_for_user(people["lead_south"], "SC-404")
    assert str(hidden.value) == str(missing.value)


@pytest.mark.django_db
def test_the_raiser_of_a_prevent_case_sees_only_that_it_was_received(people, cases):
    assert case_is_limited(people["frontline"], cases["prevent"]) is True
    assert case_is_limited(people["cleared"], cases["prevent"]) is False
    assert case_is_limited(people["cleared_auditor"], cases["prevent"]) is False
    assert case_is_limited(people["frontline"], cases["raised"]) is False


@pytest.mark.django_db
def test_anonymous_and_inactive_users_see_nothing(people, cases):
    assert case_list_for_user(AnonymousUser()).count() == 0
    lead = people["lead"]
    lead.is_active = False
    assert case_list_for_user(lead).count() == 0


@pytest.mark.django_db
def test_the_list_is_one_query(people, cases, django_assert_num_queries):
    lead = people["lead"]
    for cached in (
        "_safecase_groups", "_safecase_roles", "_safecase_team_ids", "_safecase_granted_cases",
    ):  # fmt: skip
        lead.__dict__.pop(cached, None)
    # The user's groups (their roles), teams and per-case grants in one query
    # (casework.permissions.access_facts_load), then the cases.
    with django_assert_num_queries(2):
        list(case_list_for_user(lead))


CONTENT = {
    "frontline": {"raised", "allocated"},
    "lead": {"raised", "allocated", "team"},
    "cleared": {"raised", "allocated", "team", "prevent"},
    "auditor": {"raised", "allocated", "team", "south"},
    "cleared_auditor": {"raised", "allocated", "team", "south", "prevent", "prevent_south"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(CONTENT))
def test_content_list_leaves_out_cases_known_only_as_received(people, cases, who):
    seen = set(case_content_list_for_user(people[who]).values_list("reference", flat=True))
    assert seen == {cases[name].reference for name in CONTENT[who]}
    for case in case_list_for_user(people[who]):
        assert (case.reference in seen) is not case_is_limited(people[who], case)


TEAM_EXPECTED = {
    # A lead's team cases, Prevent only for the cleared: what the dashboard counts.
    "lead": {"raised", "allocated", "team"},
    "lead_south": {"south"},
    "cleared": {"raised", "allocated", "team", "prevent"},
    "cleared_south": {"south", "prevent_south"},
    # Nobody else has team cases, whatever they may see otherwise.
    "frontline": set(),
    "frontline_other": set(),
    "auditor": set(),
    "admin": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(TEAM_EXPECTED))
def test_team_cases_are_the_teams_cases_seen_in_full(people, cases, who):
    user = people[who]
    team = set(team_case_list_for_user(user).values_list("reference", flat=True))
    assert team == {cases[name].reference for name in TEAM_EXPECTED[who]}
    # Never wider than what the user sees in full.
    assert team <= set(case_content_list_for_user(user).values_list("reference", flat=True))


@pytest.mark.django_db
def test_a_leads_own_prevent_referral_is_not_among_their_team_cases(people, cases):
    """A lead who raised a Prevent case knows it only as received: the dashboard's counts
    by state must not tell them where it is."""
    raised = make_case("SC-7", "prevent", "concern_raised", "north", people["lead"])
    assert case_is_limited(people["lead"], raised)
    assert raised not in team_case_list_for_user(people["lead"])
    assert raised in team_case_list_for_user(people["cleared"])
