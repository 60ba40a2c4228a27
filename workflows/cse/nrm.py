"""Child exploitation (RULES.md §1.3, §3): the NRM referral of a trafficked child.

A child who may have been trafficked (moved or harboured to be exploited, sexually or
criminally, as in county lines) is referred into the National Referral Mechanism, which
discharges the council's Duty to Notify (MSA 2015 s52); a child needs no consent. It is
recorded beside the child's safeguarding route, once, with its lawful basis. A mixin of
``CSECase`` (django-fsm finds inherited transitions).
"""

from __future__ import annotations

from typing import Any

from workflows.cse.states import COMPETENT_AUTHORITIES, OPEN_STATES
from workflows.definitions import Field, FieldType
from workflows.disclosure import disclosure_fields
from workflows.steps import step


def not_yet_in_the_nrm(case: Any) -> bool:
    return not case.details.get("nrm_submitted_on")


class NRMSteps:
    @step(
        event_field="nrm_submitted_on",
        source=OPEN_STATES,
        target=None,
        label="Refer the child into the NRM (trafficking)",
        conditions=[not_yet_in_the_nrm],
        guard_message="The child has already been referred into the NRM.",
        fields=[
            Field(
                "trafficking_indicators",
                FieldType.TEXT,
                "Why the child may have been trafficked (moved or harboured to be exploited)",
            ),
            Field(
                "competent_authority",
                FieldType.CHOICE,
                "Competent authority",
                choices=COMPETENT_AUTHORITIES,
            ),
            Field("nrm_submitted_on", FieldType.DATE, "Date the NRM referral was submitted"),
            Field("nrm_reference", FieldType.STRING, "NRM reference", required=False),
            *disclosure_fields(shared_with="the Home Office competent authority"),
        ],
    )
    def refer_into_nrm(self, *, actor: Any, data: dict) -> None:
        self.record_disclosure("refer_into_nrm", {**data, "nrm_referred": True}, actor)
