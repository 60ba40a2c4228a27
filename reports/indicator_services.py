"""Writes to the performance indicators: define one, enter a month's value, import a CSV.

Each is one transaction and is audited (``reports.*`` verbs). A CSV import is checked
whole before anything is written: one bad row and nothing is imported, and every bad row
is reported with its row number and column (``CsvImportError``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from casework.audit import audit_record
from casework.roles import Role, roles_of
from reports.indicators import SOURCES, areas_for, month_label, month_parse
from reports.models import Breakdown, Indicator, IndicatorValue, Unit

CSV_COLUMNS = ["indicator", "month", "area", "value"]
CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 10_000
MANAGERS = {Role.ADMINISTRATOR, Role.ANALYST}


def may_manage_indicators(user: Any) -> bool:
    """Administrators and partnership analysts define indicators and enter values."""
    return bool(roles_of(user) & MANAGERS)


def _require_manager(actor: Any) -> None:
    if not may_manage_indicators(actor):
        raise PermissionDenied("Only administrators and partnership analysts manage indicators.")


INDICATOR_FIELDS = [
    "code", "name", "unit", "target", "direction", "amber_tolerance_percent", "breakdown",
    "source",
]  # fmt: skip


def _source_errors(indicator: Indicator) -> dict[str, list[str]]:
    """A computed indicator's source must exist and set its breakdown and unit."""
    if not indicator.source:
        return {}
    spec = SOURCES.get(indicator.source)
    if spec is None:
        return {"source": ["Select a source from the list"]}
    errors = {}
    if indicator.breakdown != spec.breakdown:
        errors["breakdown"] = [f"{spec.label} is counted by team: select By team"]
    if indicator.unit != spec.unit:
        errors["unit"] = [f"{spec.label} is a count: select Count"]
    return errors


@transaction.atomic
def indicator_save(*, actor: Any, data: dict[str, Any], indicator: Indicator | None = None):
    """Define an indicator, or change one. A computed indicator's source must exist and
    its breakdown and unit are the source's."""
    _require_manager(actor)
    if indicator is not None:
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    else:
        indicator = Indicator()
    for name in INDICATOR_FIELDS:
        if name in data:
            setattr(indicator, name, data[name])
    indicator.code = (indicator.code or "").strip().upper()
    errors = _source_errors(indicator)
    try:
        indicator.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    created = indicator.pk is None
    indicator.save()
    audit_record(
        actor=actor,
        verb="reports.indicator_defined" if created else "reports.indicator_changed",
        target=indicator,
        data={name: str(getattr(indicator, name)) for name in INDICATOR_FIELDS},
    )
    return indicator


@dataclasses.dataclass(frozen=True)
class RowError:
    row: int  # the file's line number, the header being line 1
    field: str
    message: str


class CsvImportError(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


def _value_error(indicator: Indicator, text: str) -> tuple[Decimal | None, str]:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None, "Enter a number, like 2483 or 62.5"
    if not value.is_finite():
        return None, "Enter a number, like 2483 or 62.5"
    if value < 0:
        return None, "Value must be 0 or more"
    if indicator.unit == Unit.PERCENT and value > 100:
        return None, "A percentage must be between 0 and 100"
    if indicator.unit == Unit.COUNT and value != value.to_integral_value():
        return None, "A count must be a whole number"
    if value.as_tuple().exponent < -2 or value >= Decimal(10) ** 12:
        return None, "Value must have at most 2 decimal places and 12 digits"
    return value, ""


def _area_keys(indicator: Indicator, cache: dict[str, dict[str, str]]) -> dict[str, str]:
    """The indicator's areas, by their key and their name in lower case (either may be
    given), to the key."""
    if indicator.breakdown not in cache:
        keys: dict[str, str] = {}
        for area in areas_for(indicator.breakdown):
            keys[area.key.lower()] = area.key
            keys[area.name.lower()] = area.key
        cache[indicator.breakdown] = keys
    return cache[indicator.breakdown]


def _check_value(
    indicator: Indicator | None, month_text: str, area_text: str, value_text: str, areas: dict
) -> tuple[dict[str, str], tuple[date, str, Decimal] | None]:
    """One value's problems by column, or the value to write."""
    problems: dict[str, str] = {}
    month = area = value = None
    try:
        month = month_parse(month_text)
    except ValueError:
        problems["month"] = "Enter the month as YYYY-MM, like 2026-03"
    if indicator is not None:
        area = _area_keys(indicator, areas).get(area_text.strip().lower())
        if area is None:
            kind = "district" if indicator.breakdown == Breakdown.DISTRICT else "team"
            problems["area"] = (
                f"{area_text.strip() or 'A blank area'} is not a {kind} of {indicator.code}"
            )
        value, problem = _value_error(indicator, value_text)
        if problem:
            problems["value"] = problem
    if problems:
        return problems, None
    return {}, (month, area, value)


def _upsert(actor: Any, rows: list[tuple[Indicator, date, str, Decimal]]) -> None:
    for indicator, month, area, value in rows:
        IndicatorValue.objects.update_or_create(
            indicator=indicator, month=month, area=area,
            defaults={"value": value, "entered_by": actor},
        )  # fmt: skip


@transaction.atomic
def indicator_value_enter(
    *, actor: Any, indicator: Indicator, month: str, area: str, value: str
) -> IndicatorValue:
    """Enter (or correct) one month's value of an entered indicator for one area."""
    _require_manager(actor)
    if indicator.computed:
        raise ValidationError({"indicator": ["This indicator is computed from Safecase's cases"]})
    problems, checked = _check_value(indicator, month, area, value, {})
    if problems:
        raise ValidationError({k: [v] for k, v in problems.items()})
    month_value, area_key, number = checked
    _upsert(actor, [(indicator, month_value, area_key, number)])
    audit_record(
        actor=actor,
        verb="reports.indicator_values_entered",
        target=indicator,
        data={"values": [[month_value.isoformat(), area_key, str(number)]]},
    )
    return IndicatorValue.objects.get(indicator=indicator, month=month_value, area=area_key)


def _read_csv(content: bytes) -> list[list[str]]:
    if len(content) > CSV_MAX_BYTES:
        raise CsvImportError([RowError(0, "file", "The file must be smaller than 1 MB")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(
            [RowError(0, "file", "The file must be a CSV file saved as UTF-8")]
        ) from None
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise CsvImportError([RowError(0, "file", f"The file is not a CSV file: {exc}")]) from None


def _row_indicator(
    number: int, code: str, indicators: dict[str, Indicator]
) -> tuple[Indicator | None, list[RowError]]:
    indicator = indicators.get(code.upper())
    if indicator is None:
        return None, [
            RowError(number, "indicator", f"{code or 'A blank code'} is not an indicator")
        ]
    if indicator.computed:
        message = f"{indicator.code} is computed from Safecase's cases; it takes no values"
        return None, [RowError(number, "indicator", message)]
    return indicator, []


class _Rows:
    """The file's rows checked one by one: their problems and the values to write."""

    def __init__(self) -> None:
        self.indicators = {i.code: i for i in Indicator.objects.all()}
        self.errors: list[RowError] = []
        self.checked: list[tuple[Indicator, date, str, Decimal]] = []
        self.seen: dict[tuple[str, date, str], int] = {}
        self.areas: dict[str, dict[str, str]] = {}

    def check(self, number: int, row: list[str]) -> None:
        if len(row) != len(CSV_COLUMNS):
            message = f"Row must have {len(CSV_COLUMNS)} values, it has {len(row)}"
            self.errors.append(RowError(number, "row", message))
            return
        code, month_text, area_text, value_text = (cell.strip() for cell in row)
        indicator, problems = _row_indicator(number, code, self.indicators)
        self.errors.extend(problems)
        found, value = _check_value(indicator, month_text, area_text, value_text, self.areas)
        self.errors.extend(RowError(number, field, message) for field, message in found.items())
        if indicator is None or value is None:
            return
        key = (indicator.code, value[0], value[1])
        if key in self.seen:
            what = f"{indicator.code} {month_label(value[0])} {value[1]}"
            self.errors.append(RowError(number, "row", f"{what} is also in row {self.seen[key]}"))
            return
        self.seen[key] = number
        self.checked.append((indicator, *value))


def indicator_values_import(*, actor: Any, content: bytes) -> int:
    """Import month values from a CSV file with the header ``indicator,month,area,value``
    (area: a district's name or a team's name or slug). Every row is checked first; if
    any is wrong, nothing is written and ``CsvImportError`` lists each problem with its
    row number. Returns how many values were written."""
    _require_manager(actor)
    rows = _read_csv(content)
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header != CSV_COLUMNS:
        raise CsvImportError(
            [RowError(1, "header", "The first row must be: " + ",".join(CSV_COLUMNS))]
        )
    if len(rows) - 1 > CSV_MAX_ROWS:
        raise CsvImportError(
            [RowError(0, "file", f"The file must have at most {CSV_MAX_ROWS:,} rows")]
        )
    checker = _Rows()
    for number, row in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in row):
            checker.check(number, row)
    errors, checked = checker.errors, checker.checked
    if not errors and not checked:
        errors.append(RowError(0, "file", "The file has no values"))
    if errors:
        raise CsvImportError(errors)
    with transaction.atomic():
        _upsert(actor, checked)
        for indicator in {i for i, *_ in checked}:
            audit_record(
                actor=actor,
                verb="reports.indicator_values_entered",
                target=indicator,
                data={
                    "values": [
                        [m.isoformat(), a, str(v)] for i, m, a, v in checked if i == indicator
                    ],
                    "from": "csv",
                },
            )
    return len(checked)
