"""``{{ case.reference|reference }}``: a reference that never breaks across lines.

Built in through ``TEMPLATES``' ``builtins`` (no ``{% load %}``). The reference is escaped
and wrapped in ``<span class="app-reference">`` (``white-space: nowrap``,
frontend/scss/_references.scss). Only for text: attributes, URLs and page titles take the
plain value.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def reference(value: Any) -> SafeString | str:
    if value in (None, ""):
        return ""
    return format_html('<span class="app-reference">{}</span>', value)
