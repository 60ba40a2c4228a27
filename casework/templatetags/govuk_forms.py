"""A form's questions and a list's pagination in GOV.UK Frontend markup, drawn in Python.

A builtin of the template engine (config/settings.py: no ``{% load %}``):
``{% govuk_control c %}`` (one ``casework.forms.Control``:
a text input, a textarea, a select or a GOV.UK date input, with its label, hint and
error messages) and ``{% govuk_pagination page page_range %}`` (the GOV.UK pagination
of a list, keeping the request's query string: its filters and search).

Why: they were the templates ``casework/_edit_control.html`` and ``_pagination.html``,
included once for each question and once a list. On the auditor's search (five
questions and the pagination) the two took 1.2 ms of the page's 12-13 ms of application
CPU, and on the case list (four questions) 0.7 ms: an ``{% include %}`` pushes a context
and resolves every ``{{ c.x }}`` and ``{% if %}`` through the engine's generic lookup.
Drawn here they cost a tenth of that (docs/performance.md, "a twentieth session").

The rule that keeps this safe, as in ``table_rows``: every value that is not markup goes
through ``_esc`` (what ``{{ }}`` does with autoescape on), and the only markup built here
is the fixed GOV.UK markup below. tests/casework/test_govuk_forms.py holds the templates
these replaced as the reference the markup must match, with hostile values.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from casework.templatetags.table_rows import _esc

register = template.Library()


def _errors(name: str, errors: list[Any]) -> str:
    if not errors:
        return ""
    messages = "<br>".join(
        f'<span class="govuk-visually-hidden">Error:</span> {_esc(message)}' for message in errors
    )
    return f'<p id="{name}-error" class="govuk-error-message">{messages}</p>'


def _date(c: Any, name: str) -> str:
    """A GOV.UK date input: day, month and year boxes, never the browser's date picker."""
    error = " govuk-input--error" if c.errors else ""
    described = f"{name}-hint" + (f" {name}-error" if c.errors else "")
    hint = f"{_esc(c.hint)} " if c.hint else ""
    boxes = "".join(
        '<div class="govuk-date-input__item"><div class="govuk-form-group">'
        f'<label class="govuk-label govuk-date-input__label" for="{_esc(box)}">'
        f"{_esc(label)}</label>"
        f'<input class="govuk-input govuk-date-input__input govuk-input--width-{width}{error}"'
        f' id="{_esc(box)}" name="{_esc(box)}" type="text" inputmode="numeric"'
        f' value="{_esc(value)}"></div></div>'
        for box, label, value, width in c.parts
    )
    return (
        f'<fieldset class="govuk-fieldset" role="group" aria-describedby="{described}">'
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">'
        f"{_esc(c.label)}</legend>"
        f'<div id="{name}-hint" class="govuk-hint">{hint}For example, 27 3 2024</div>'
        f"{_errors(name, c.errors)}"
        f'<div class="govuk-date-input" id="{name}">{boxes}</div></fieldset>'
    )


def _single(c: Any, name: str) -> str:
    """A label, a hint, its messages and one input, textarea or select."""
    described = ""
    if c.hint or c.errors:
        ids = (f"{name}-hint" if c.hint else "") + (f" {name}-error" if c.errors else "")
        described = f' aria-describedby="{ids}"'
    hint = f'<div id="{name}-hint" class="govuk-hint">{_esc(c.hint)}</div>' if c.hint else ""
    head = (
        f'<label class="govuk-label govuk-label--s" for="{name}">{_esc(c.label)}</label>'
        f"{hint}{_errors(name, c.errors)}"
    )
    if c.kind == "textarea":
        error = " govuk-textarea--error" if c.errors else ""
        return (
            f'{head}<textarea class="govuk-textarea{error}" id="{name}" name="{name}"'
            f' rows="5"{described}>{_esc(c.value)}</textarea>'
        )
    if c.kind == "select":
        error = " govuk-select--error" if c.errors else ""
        return (
            f'{head}<select class="govuk-select{error}" id="{name}" name="{name}"{described}>'
            f"{c.option_tags}</select>"
        )
    error = " govuk-input--error" if c.errors else ""
    return (
        f'{head}<input class="govuk-input{error}" id="{name}" name="{name}" type="text"'
        f' value="{_esc(c.value)}"{described}>'
    )


@register.simple_tag
def govuk_control(c: Any) -> SafeString:
    """One question of a form (``casework.forms.Control``) in its form group; the input's
    id is the field's name, which the error summary links to."""
    name = _esc(c.name)
    group = "govuk-form-group govuk-form-group--error" if c.errors else "govuk-form-group"
    inner = _date(c, name) if c.kind == "date" else _single(c, name)
    return mark_safe(f'<div class="{group}">{inner}</div>')  # noqa: S308 (values escaped)


# GOV.UK pagination's arrows, as its Nunjucks macro draws them.
_PREVIOUS_ICON = (
    '<svg class="govuk-pagination__icon govuk-pagination__icon--prev" '
    'xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" '
    'focusable="false" viewBox="0 0 15 13"><path d="m6.5938-0.0078125-6.7266 6.7266 '
    "6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"
    '"></path></svg>'
)
_NEXT_ICON = (
    '<svg class="govuk-pagination__icon govuk-pagination__icon--next" '
    'xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" '
    'focusable="false" viewBox="0 0 15 13"><path d="m8.107-0.0078125-1.4136 1.414 '
    "4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"
    '"></path></svg>'
)


def _page_href(query: Any, number: Any) -> str:
    """``{% querystring page=number %}``: the request's query with this page, escaped."""
    params = query.copy()
    params["page"] = number
    return _esc(f"?{params.urlencode()}")


@register.simple_tag(takes_context=True)
def govuk_pagination(context: template.Context, page: Any, page_range: Any) -> SafeString:
    """The GOV.UK pagination of ``page`` (a ``Page``), its numbers ``page_range``
    (``Paginator.get_elided_page_range``), every link keeping the request's query
    string; nothing when there is one page."""
    if not page.has_other_pages():
        return mark_safe("")
    query = context.request.GET
    parts = ['<nav class="govuk-pagination" aria-label="Pagination">']
    if page.has_previous():
        parts.append(
            '<div class="govuk-pagination__prev"><a class="govuk-link govuk-pagination__link"'
            f' href="{_page_href(query, page.previous_page_number())}" rel="prev">'
            f'{_PREVIOUS_ICON}<span class="govuk-pagination__link-title">Previous'
            '<span class="govuk-visually-hidden"> page</span></span></a></div>'
        )
    parts.append('<ul class="govuk-pagination__list">')
    ellipsis = page.paginator.ELLIPSIS
    for number in page_range:
        if number == ellipsis:
            parts.append(
                '<li class="govuk-pagination__item govuk-pagination__item--ellipsis">&ctdot;</li>'
            )
            continue
        current = number == page.number
        item = " govuk-pagination__item--current" if current else ""
        marked = ' aria-current="page"' if current else ""
        parts.append(
            f'<li class="govuk-pagination__item{item}">'
            f'<a class="govuk-link govuk-pagination__link" href="{_page_href(query, number)}"'
            f' aria-label="Page {_esc(number)}"{marked}>{_esc(number)}</a></li>'
        )
    parts.append("</ul>")
    if page.has_next():
        parts.append(
            '<div class="govuk-pagination__next"><a class="govuk-link govuk-pagination__link"'
            f' href="{_page_href(query, page.next_page_number())}" rel="next">'
            '<span class="govuk-pagination__link-title">Next'
            f'<span class="govuk-visually-hidden"> page</span></span>{_NEXT_ICON}</a></div>'
        )
    parts.append("</nav>")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped)
