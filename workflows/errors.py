"""The conflicts a workflow refuses with (409); defined in casework so that casework's own
services (allocation) raise the same errors."""

from casework.errors import CaseConflict, StaleCase, TransitionNotAllowed

__all__ = ["CaseConflict", "StaleCase", "TransitionNotAllowed"]
