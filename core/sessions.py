"""Sessions in the database, as Django's own engine keeps them, read without rebuilding ORM SQL.

Every request by a signed-in person reads their session row; that read is compiled once per process
(core/compiled.py) and the expiry is checked on the row, which is what Django's
`expire_date__gt=now` filter does in the database.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from .compiled import CompiledQuery


def _session_by_key(session_key: str):
    return Session.objects.filter(session_key=session_key)


# Session keys are 32 lower-case letters and digits: no real key contains a hyphen.
_SESSION = CompiledQuery(
    _session_by_key, stand_ins={"session_key": "stand-in-session-key-9f3c"}, model=Session, instances=True
)


class SessionStore(DatabaseSessionStore):
    """Django's database session store, its one read compiled once per process."""

    def _get_session_from_db(self):
        if not self.session_key:
            self._session_key = None
            return None
        found = _SESSION.run(session_key=self.session_key)
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None
