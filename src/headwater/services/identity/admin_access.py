"""The last admin keeps a way in: no change may leave every admin without a usable token.

Access tokens are how anyone reaches the product API, and only an admin makes users and
tokens for others; with no admin token left the instance can no longer be administered over
HTTP (`headwater admin reset-token`, run on the server, is the way back). So revoking a
token, demoting an admin and deleting one are checked here, inside their own transaction:
the admins' rows are locked first, the change is made, and the count is taken again before
the commit. Two such changes racing therefore wait for each other (PostgreSQL: the admins'
row locks, taken in id order; SQLite: the write lock, taken at once), and the second sees
what the first did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from headwater.domain.errors import Conflict
from headwater.domain.ports.unit_of_work import UnitOfWork

LAST_ADMIN = "LAST_ADMIN"


def usable_admin_tokens(uow: UnitOfWork, now: datetime, lasting: bool = False) -> int:
    """How many usable tokens admins hold now (with `lasting`, that never expire); locks the
    admins' rows (see the module)."""
    return uow.tokens.count_usable(uow.users.lock_admins(), now, lasting)


@contextmanager
def keeps_admin_access(uow: UnitOfWork, now: datetime, change: str) -> Iterator[None]:
    """Run a change (inside `uow`, before its commit) and refuse it with a 409 if it takes
    the last admin token that never expires away. A change made while no admin had one
    already (every admin token set to expire) is let through: it takes nothing away."""
    # Only a token that never expires counts: one that expires in a minute would let the last
    # lasting one go, then lock everyone out when it runs out (the red team did just that).
    before = usable_admin_tokens(uow, now, lasting=True)
    yield
    if before and not usable_admin_tokens(uow, now, lasting=True):
        raise Conflict(
            f"{change} would leave no admin with an access token that does not expire, and "
            "once the others ran out nobody could administer Headwater any more; create "
            "another admin token without an expiry first (recovery on the server: headwater "
            "admin reset-token)",
            code=LAST_ADMIN,
        )
