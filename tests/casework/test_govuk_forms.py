"""A form's questions and a list's pagination drawn in Python (casework.templatetags.
govuk_forms) rather than by the included templates they replaced: the same markup
(those templates kept here as the reference), every value escaped, on the real pages."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.template import RequestContext, engines
from django.test import RequestFactory

from casework.forms import Control
from casework.roles import Role
from casework.templatetags.govuk_forms import govuk_control, govuk_pagination
from tests.casework.test_table_rows import HOSTILE, squeezed

# templates/casework/_edit_control.html, with _edit_described_by.html inlined, as they were.
CONTROL_TEMPLATE = """<div class="govuk-form-group{% if c.errors %} govuk-form-group--error{% endif %}">
  {% if c.kind == "date" %}
  {# A GOV.UK date input: day, month and year boxes, never the browser's date picker. #}
  <fieldset class="govuk-fieldset" role="group" aria-describedby="{{ c.name }}-hint{% if c.errors %} {{ c.name }}-error{% endif %}">
    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{{ c.label }}</legend>
    <div id="{{ c.name }}-hint" class="govuk-hint">{% if c.hint %}{{ c.hint }} {% endif %}For example, 27 3 2024</div>
    {% if c.errors %}<p id="{{ c.name }}-error" class="govuk-error-message">{% for message in c.errors %}<span class="govuk-visually-hidden">Error:</span> {{ message }}{% if not forloop.last %}<br>{% endif %}{% endfor %}</p>{% endif %}
    <div class="govuk-date-input" id="{{ c.name }}">
      {% for name, label, value, width in c.parts %}
        <div class="govuk-date-input__item">
          <div class="govuk-form-group">
            <label class="govuk-label govuk-date-input__label" for="{{ name }}">{{ label }}</label>
            <input class="govuk-input govuk-date-input__input govuk-input--width-{{ width }}{% if c.errors %} govuk-input--error{% endif %}" id="{{ name }}" name="{{ name }}" type="text" inputmode="numeric" value="{{ value }}">
          </div>
        </div>
      {% endfor %}
    </div>
  </fieldset>
  {% else %}
  <label class="govuk-label govuk-label--s" for="{{ c.name }}">{{ c.label }}</label>
  {% if c.hint %}<div id="{{ c.name }}-hint" class="govuk-hint">{{ c.hint }}</div>{% endif %}
  {% if c.errors %}<p id="{{ c.name }}-error" class="govuk-error-message">{% for message in c.errors %}<span class="govuk-visually-hidden">Error:</span> {{ message }}{% if not forloop.last %}<br>{% endif %}{% endfor %}</p>{% endif %}
  {% if c.kind == "textarea" %}
    <textarea class="govuk-textarea{% if c.errors %} govuk-textarea--error{% endif %}" id="{{ c.name }}" name="{{ c.name }}" rows="5"{% if c.hint or c.errors %} aria-describedby="{% if c.hint %}{{ c.name }}-hint{% endif %}{% if c.errors %} {{ c.name }}-error{% endif %}"{% endif %}>{{ c.value }}</textarea>
  {% elif c.kind == "select" %}
    <select class="govuk-select{% if c.errors %} govuk-select--error{% endif %}" id="{{ c.name }}" name="{{ c.name }}"{% if c.hint or c.errors %} aria-describedby="{% if c.hint %}{{ c.name }}-hint{% endif %}{% if c.errors %} {{ c.name }}-error{% endif %}"{% endif %}>
      {{ c.option_tags }}
    </select>
  {% else %}
    <input class="govuk-input{% if c.errors %} govuk-input--error{% endif %}" id="{{ c.name }}" name="{{ c.name }}" type="text" value="{{ c.value }}"{% if c.hint or c.errors %} aria-describedby="{% if c.hint %}{{ c.name }}-hint{% endif %}{% if c.errors %} {{ c.name }}-error{% endif %}"{% endif %}>
  {% endif %}
  {% endif %}
</div>"""  # noqa: E501

# templates/_pagination.html as it was.
PAGINATION_TEMPLATE = """{% if page.has_other_pages %}
  <nav class="govuk-pagination" aria-label="Pagination">
    {% if page.has_previous %}
      <div class="govuk-pagination__prev">
        <a class="govuk-link govuk-pagination__link" href="{% querystring page=page.previous_page_number %}" rel="prev">
          <svg class="govuk-pagination__icon govuk-pagination__icon--prev" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"></path></svg>
          <span class="govuk-pagination__link-title">Previous<span class="govuk-visually-hidden"> page</span></span>
        </a>
      </div>
    {% endif %}
    <ul class="govuk-pagination__list">
      {% for number in page_range %}
        {% if number == page.paginator.ELLIPSIS %}
          <li class="govuk-pagination__item govuk-pagination__item--ellipsis">&ctdot;</li>
        {% elif number == page.number %}
          <li class="govuk-pagination__item govuk-pagination__item--current">
            <a class="govuk-link govuk-pagination__link" href="{% querystring page=number %}" aria-label="Page {{ number }}" aria-current="page">{{ number }}</a>
          </li>
        {% else %}
          <li class="govuk-pagination__item">
            <a class="govuk-link govuk-pagination__link" href="{% querystring page=number %}" aria-label="Page {{ number }}">{{ number }}</a>
          </li>
        {% endif %}
      {% endfor %}
    </ul>
    {% if page.has_next %}
      <div class="govuk-pagination__next">
        <a class="govuk-link govuk-pagination__link" href="{% querystring page=page.next_page_number %}" rel="next">
          <span class="govuk-pagination__link-title">Next<span class="govuk-visually-hidden"> page</span></span>
          <svg class="govuk-pagination__icon govuk-pagination__icon--next" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path></svg>
        </a>
      </div>
    {% endif %}
  </nav>
{% endif %}"""  # noqa: E501


def by_template(source: str, **context) -> str:
    template = engines["django"].from_string(source)
    return squeezed(template.render(context, request=context.get("request")))


def control(kind: str, **given) -> Control:
    fields = {"name": "when", "label": "When", "kind": kind, "value": "", "hint": "",
              "errors": [], "options": []}  # fmt: skip
    return Control(**{**fields, **given})


CONTROLS = [
    control("text"),
    control("text", value=HOSTILE, label=HOSTILE, hint=HOSTILE),
    control("text", errors=[HOSTILE, "Enter a reference"]),
    control("text", hint="Like SC-2026-000001", errors=["Enter a reference"]),
    control("textarea", value=HOSTILE, hint="Say why"),
    control("textarea", errors=["Say why"]),
    control("select", options=[("", "Any", False), ("a", HOSTILE, True), (HOSTILE, "b", False)]),
    control("select", errors=["Choose one"], options=[("a", "A", False)]),
    control("date"),
    control("date", value="2026-03-07", hint=HOSTILE),
    control("date", value="2026-3-", errors=["Enter a real date", HOSTILE]),
    control("date", value=HOSTILE, label=HOSTILE),
]


@pytest.mark.parametrize("c", CONTROLS, ids=lambda c: f"{c.kind}")
def test_a_control_is_the_templates_markup_with_every_value_escaped(c):
    drawn = str(govuk_control(c))
    assert squeezed(drawn) == by_template(CONTROL_TEMPLATE, c=c)
    assert "<script>" not in drawn


def test_a_control_with_errors_is_marked_and_described_by_them():
    drawn = str(govuk_control(control("text", hint="Hint", errors=["Enter a reference"])))
    assert 'class="govuk-form-group govuk-form-group--error"' in drawn
    assert 'aria-describedby="when-hint when-error"' in drawn
    assert '<p id="when-error" class="govuk-error-message">' in drawn
    assert 'class="govuk-input govuk-input--error" id="when" name="when"' in drawn
    dated = str(govuk_control(control("date", value="2026-03-07", errors=["Enter a date"])))
    assert 'id="when-day" name="when-day" type="text" inputmode="numeric" value="7"' in dated
    assert 'id="when-year" name="when-year" type="text" inputmode="numeric" value="2026"' in dated
    assert dated.count("govuk-input--error") == 3


def pages(count: int, number: int, query: str = ""):
    paginator = Paginator(list(range(count)), 10)
    page = paginator.get_page(number)
    request = RequestFactory().get(f"/cases/{query}")
    return page, list(paginator.get_elided_page_range(page.number, on_each_side=1)), request


@pytest.mark.parametrize(
    ("count", "number", "query"),
    [(5, 1, ""), (30, 1, ""), (30, 2, "?q=smith"), (300, 15, "?state=open&page=15"),
     (300, 30, "?q=" + HOSTILE.replace("&", "%26").replace(" ", "+")), (300, 1, "?a=1&a=2")],
)  # fmt: skip
def test_pagination_is_the_templates_markup_keeping_the_query(count, number, query):
    page, page_range, request = pages(count, number, query)
    drawn = str(govuk_pagination(RequestContext(request), page, page_range))
    context = {"page": page, "page_range": page_range, "request": request}
    assert squeezed(drawn) == by_template(PAGINATION_TEMPLATE, **context)
    assert "<script>" not in drawn


def test_pagination_marks_the_current_page_and_keeps_the_filters():
    page, page_range, request = pages(300, 15, "?state=open&page=15")
    drawn = str(govuk_pagination(RequestContext(request), page, page_range))
    assert 'href="?state=open&amp;page=14" rel="prev"' in drawn
    assert 'href="?state=open&amp;page=16" rel="next"' in drawn
    assert 'aria-label="Page 15" aria-current="page">15</a>' in drawn
    assert drawn.count("govuk-pagination__item--ellipsis") == 2
    one_page, one_range, request = pages(5, 1)
    assert govuk_pagination(RequestContext(request), one_page, one_range) == ""


@pytest.mark.django_db
def test_the_pages_draw_their_controls_and_pagination(client, make_user):
    auditor = make_user("auditor.one", Role.AUDITOR, [])
    client.force_login(auditor)
    page = client.get("/audit/", {"reference": HOSTILE})
    body = page.content.decode()
    assert page.status_code in (200, 400)
    assert body.count('<div class="govuk-form-group') >= 5
    assert '<select class="govuk-select" id="action" name="action">' in body
    assert 'id="date_from-day" name="date_from-day"' in body
    assert "<script>alert" not in body
