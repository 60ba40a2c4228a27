"""casework.links draws the same addresses as ``reverse``, whatever the reference and the
script prefix the site is served under."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from casework.links import case_list_path, case_timeline_url, case_url, pk_url


@pytest.mark.parametrize(
    "reference",
    ["SC-2026-000123", "SC-2021-000033", "odd ref", "é?#%", "SC-0000-000000x"],
)
@pytest.mark.parametrize("prefix", ["/", "/safecase/"])
def test_case_url_is_what_reverse_gives(reference, prefix):
    set_script_prefix(prefix)
    try:
        assert case_url(reference) == reverse("case-detail", args=[reference])
        assert case_timeline_url(reference) == reverse("audit:case-timeline", args=[reference])
        assert case_list_path() == reverse("case-list")
    finally:
        clear_script_prefix()


@pytest.mark.parametrize("reference", ["", "a/b"])
def test_a_reference_the_pattern_cannot_hold_is_refused_as_reverse_refuses_it(reference):
    with pytest.raises(NoReverseMatch):
        reverse("case-detail", args=[reference])
    with pytest.raises(NoReverseMatch):
        case_url(reference)
    with pytest.raises(NoReverseMatch):
        case_timeline_url(reference)


@pytest.mark.parametrize("pk", [1, 42, 987654321, 2_000_000_001])
@pytest.mark.parametrize("prefix", ["/", "/safecase/"])
def test_an_address_by_id_is_what_reverse_gives(pk, prefix):
    set_script_prefix(prefix)
    try:
        assert pk_url("referrals:referral-detail", pk) == reverse(
            "referrals:referral-detail", args=[pk]
        )
    finally:
        clear_script_prefix()
