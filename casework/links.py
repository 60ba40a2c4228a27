"""Addresses drawn once per row of a list: a case's pages and the case list.

Django's ``reverse`` matches the URL pattern and checks the result for every call (about
40 µs); a list of 25 cases, an audit page of 50 events or a dashboard of 70 links paid
it per row. A case's page is the pattern's text around the reference, so each pattern
is reversed once per script prefix and the reference put in its place, quoted as
``reverse`` quotes it (``tests/casework/test_links.py`` holds the two equal).
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, reverse

# What ``reverse`` leaves unquoted in a path argument (django.urls.resolvers).
_SAFE = "!$&'()*+,;=/~:@"
_MARKER = "SC-0000-000000"


@functools.lru_cache(maxsize=32)
def _around(name: str, marker: str | int, script_prefix: str) -> tuple[str, str]:
    """The address ``name`` reversed once with ``marker`` as its one argument: the text
    before and after it."""
    before, found, after = reverse(name, args=[marker]).partition(str(marker))
    if not found:
        raise RuntimeError(f"the address {name!r} does not hold its argument")
    return before, after


def reference_url(name: str, reference: str) -> str:
    """``reverse(name, args=[reference])`` for a URL whose one argument is a case's
    reference (``<str:reference>``), without matching the pattern again; like it,
    refuses what the pattern cannot hold."""
    if not reference or "/" in reference:
        raise NoReverseMatch(f"no {name!r} address for the reference {reference!r}")
    before, after = _around(name, _MARKER, get_script_prefix())
    return f"{before}{quote(reference, safe=_SAFE)}{after}"


def case_url(reference: str) -> str:
    """The case's page: ``reverse("case-detail", args=[reference])``."""
    return reference_url("case-detail", reference)


def case_timeline_url(reference: str) -> str:
    """The case's audit timeline: ``reverse("audit:case-timeline", args=[reference])``."""
    return reference_url("audit:case-timeline", reference)


_PK_MARKER = 987654321


def pk_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a URL whose one argument is a row's id
    (``<int:pk>``, a referral's page), without matching the pattern again."""
    before, after = _around(name, _PK_MARKER, get_script_prefix())
    return f"{before}{int(pk)}{after}"


@functools.lru_cache(maxsize=8)
def _case_list(script_prefix: str) -> str:
    return reverse("case-list")


def case_list_path() -> str:
    """``reverse("case-list")``, once per script prefix."""
    return _case_list(get_script_prefix())
