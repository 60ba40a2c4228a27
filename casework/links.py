"""Addresses drawn once per row of a list: a case's page and the case list.

Django's ``reverse`` matches the URL pattern and checks the result for every call (about
40 µs); a list of 25 cases, or a dashboard of 70 links, paid it per row. The case page's
address is the pattern's text around the reference, so it is reversed once per script
prefix and the reference put in its place, quoted as ``reverse`` quotes it
(``tests/casework/test_links.py`` holds the two equal).
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, reverse

# What ``reverse`` leaves unquoted in a path argument (django.urls.resolvers).
_SAFE = "!$&'()*+,;=/~:@"
_MARKER = "SC-0000-000000"


@functools.lru_cache(maxsize=8)
def _around_reference(script_prefix: str) -> tuple[str, str]:
    before, marker, after = reverse("case-detail", args=[_MARKER]).partition(_MARKER)
    if not marker:
        raise RuntimeError("the case page's address does not hold its reference")
    return before, after


def case_url(reference: str) -> str:
    """``reverse("case-detail", args=[reference])``, without matching the pattern again;
    like it, refuses what the pattern (``<str:reference>``) cannot hold."""
    if not reference or "/" in reference:
        raise NoReverseMatch(f"no case page for the reference {reference!r}")
    before, after = _around_reference(get_script_prefix())
    return f"{before}{quote(reference, safe=_SAFE)}{after}"


@functools.lru_cache(maxsize=8)
def _case_list(script_prefix: str) -> str:
    return reverse("case-list")


def case_list_path() -> str:
    """``reverse("case-list")``, once per script prefix."""
    return _case_list(get_script_prefix())
