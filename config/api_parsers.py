"""The API's JSON parser: DRF's, refusing nesting deeper than any Safecase input needs.

Python's JSON decoder recurses once per level, so a body nested a thousand levels deep
raises ``RecursionError`` (a 500) instead of a parse error; and a deep body that does
parse costs every later step that walks it. Safecase's deepest input is a transition's
records (an object holding a list of objects), so ``MAX_DEPTH`` levels is ample; deeper is
400 ``{"errors": {"non_field_errors": [...]}}`` like any body that cannot be read.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested more than {MAX_DEPTH} levels deep."


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``limit`` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
