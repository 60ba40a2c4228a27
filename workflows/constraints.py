"""The database's own guard on case states (DESIGN.md "Transitions").

``casework_case.state`` is protected in Python; this CHECK constraint also refuses, in
PostgreSQL, any state that the case's workflow does not declare, whatever writes the row.
A migration holds the SQL as it was when written; the test
``test_the_database_refuses_a_state_its_workflow_does_not_have`` fails when a workflow
gains or loses a state until a new migration replaces the constraint
(``state_check_sql(valid_states())`` gives the new SQL).
"""

from __future__ import annotations

CONSTRAINT = "casework_case_state_valid"


def _quote(value: str) -> str:
    if "'" in value:
        raise ValueError(f"state names are identifiers, got {value!r}")
    return f"'{value}'"


def state_check_sql(valid: dict[str, list[str]]) -> str:
    """``ALTER TABLE`` adding the constraint for ``{case_type: [states]}``."""
    clauses = [
        f"(case_type = {_quote(t)} AND state IN ({', '.join(_quote(s) for s in states)}))"
        for t, states in sorted(valid.items())
    ]
    condition = "\n      OR ".join(clauses)
    return f"ALTER TABLE casework_case ADD CONSTRAINT {CONSTRAINT} CHECK (\n      {condition}\n)"


def drop_sql() -> str:
    return f"ALTER TABLE casework_case DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
