"""Forms of the casework pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

Choices = Sequence[tuple[str, str]]


class CaseFilterForm(forms.Form):
    """The case list's filters. A value it does not know (an old bookmark, a hand-edited
    address) is dropped rather than shown as an error: the list then shows every case."""

    case_type = forms.ChoiceField(required=False, label="Type of concern")
    state = forms.ChoiceField(required=False, label="State")

    def __init__(self, data: Mapping[str, Any], *, case_types: Choices, states: Choices) -> None:
        super().__init__(data)
        self.fields["case_type"].choices = [("", "All types"), *case_types]
        self.fields["state"].choices = [("", "All states"), *states]

    def filters(self) -> dict[str, str]:
        """The filters that are valid and set, by field name."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
