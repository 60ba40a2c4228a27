"""Password rules beyond Django's own validators (AUTH_PASSWORD_VALIDATORS, issue 17).

Django's validators pass ``passwordpassword``: 16 characters, not numeric, not itself in
the common-password list. ``RepeatedPatternValidator`` refuses passwords built by
repeating something short (``passwordpassword``, ``abcabcabcabc``) or from very few
different characters (``aaaaaaaaaaa1``), and any whose repeated part is itself a common
password. Every way a password is set runs the whole list: the one-time link page
(``SetPasswordForm``), the service behind it (``casework.staff.staff_password_set``),
``seed_demo`` (``casework.services.user_ensure``) and the Django admin's forms.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

REPEATED = "Your password must not repeat the same few characters or words"
TOO_FEW_CHARACTERS = "Your password must use at least {count} different characters"


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(CommonPasswordValidator().passwords)


def repeated_unit(password: str) -> str | None:
    """The shortest string that ``password`` repeats whole, at least twice, or None."""
    length = len(password)
    for size in range(1, length // 2 + 1):
        if length % size == 0 and password[:size] * (length // size) == password:
            return password[:size]
    return None


class RepeatedPatternValidator:
    """Refuse a repetition of something shorter and a password of few distinct characters."""

    def __init__(self, min_distinct: int = 5) -> None:
        self.min_distinct = min_distinct

    def validate(self, password: str, user: Any = None) -> None:
        folded = password.casefold()
        if repeated_unit(folded) is not None:
            raise ValidationError(REPEATED, code="password_repeated")
        if len(set(folded)) < self.min_distinct:
            raise ValidationError(
                TOO_FEW_CHARACTERS.format(count=self.min_distinct),
                code="password_too_few_characters",
            )
        # A common password with a repeated tail, "password" + "password1", and the like:
        # every half that is common makes the whole guessable.
        common = _common_passwords()
        half = len(folded) // 2
        if folded[:half] in common and folded[half:].rstrip("0123456789!?.") in common:
            raise ValidationError(REPEATED, code="password_repeated")

    def get_help_text(self) -> str:
        return (
            "Your password must not repeat the same few characters or words, and must use "
            f"at least {self.min_distinct} different characters."
        )
