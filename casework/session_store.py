"""The session and the signed-in user read through statements compiled once.

Every page a member of staff opens reads their session's row and then their user's:
Django's database session store and ``ModelBackend`` build both as ORM queries and
compile them to SQL on every request, about 0.3 ms of the application's CPU each
(docs/performance.md, 5 December, "a fifth session"). The queries depend on
nothing but the session key, the time and the user's id, so both are kept as statements
(``casework.statements.compiled_objects``) and only those values are given at each use.
What is read, and what a missing, expired or inactive one gives, are Django's own:

- ``SessionStore`` (``SESSION_ENGINE = "casework.session_store"``) is Django's database
  store; only its read of the row is a kept statement. An expired or unknown session
  key reads no row and starts an empty session, as Django's does.
- ``ModelBackend`` (in ``AUTHENTICATION_BACKENDS`` in place of Django's) is Django's;
  only ``get_user`` reads through a kept statement. An inactive user is refused, as
  ``ModelBackend.user_can_authenticate`` refuses them.

Sessions signed in before this backend was named in the settings name Django's
``ModelBackend``; Django's ``get_user`` finds that path no longer listed and signs them
out once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.statements import compiled_objects


class SessionStore(db.SessionStore):
    """Django's database session store, reading its row through a kept statement."""

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if key is None:
            self._session_key = None
            return None
        model = self.model
        found = compiled_objects(
            ("session", model._meta.label_lower),
            lambda session_key, now: model.objects.filter(
                session_key=session_key, expire_date__gt=now
            ),
            (key, timezone.now()),
            prepared=True,
        )
        if not found:
            self._session_key = None
            return None
        return found[0]


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend``, finding the signed-in user through a kept statement."""

    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except (TypeError, ValueError, ValidationError):  # an id no user can have
            return None
        found = compiled_objects(
            ("auth.get_user", user_model._meta.label_lower),
            lambda user_pk: user_model._default_manager.filter(pk=user_pk),
            (pk,),
            prepared=True,
        )
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
