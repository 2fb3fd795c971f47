"""This server process as a runner: registered, kept alive by heartbeats, retired on stop;
and the judgement of which runners are gone, so only their executions get settled.

A runner is gone when its row is missing, when its heartbeat lapsed past the lease, or — for a
runner on this same host — when its process no longer exists. The last rule makes a restart
after a crash settle the dead process's work at once instead of a lease later. (A reused
process id, as a container's pid 1 restarted under the same host name, cannot be told apart
from a live process this way; that runner's work is settled when its lease lapses.)
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta

from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.runners import Runner

Gone = Callable[[str | None], bool]


class Runners:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, lease: timedelta) -> None:
        self._uow = uow
        self._clock = clock
        self.lease = lease
        now = clock.now()
        self.me = Runner(str(uuid.uuid4()), socket.gethostname(), os.getpid(), now, now)

    def register(self) -> None:
        with self._uow() as uow:
            uow.runners.add(self.me)
            uow.commit()

    def heartbeat(self) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            if not uow.runners.heartbeat(self.me.id, now):
                # Judged gone (a long stall) and forgotten: come back under the same id.
                self.me.heartbeat_at = now
                uow.runners.add(self.me)
            uow.commit()

    def retire(self) -> None:
        with self._uow() as uow:
            uow.runners.delete(self.me.id)
            uow.commit()

    def gone(self) -> Gone:
        """A predicate over runner ids, judged now; None (work no process owns) is gone."""
        now = self._clock.now()
        with self._uow() as uow:
            known = {runner.id: runner for runner in uow.runners.all()}

        def is_gone(runner_id: str | None) -> bool:
            if runner_id == self.me.id:
                return False
            runner = known.get(runner_id) if runner_id else None
            if runner is None or runner.lapsed(now, self.lease):
                return True
            if runner.host == self.me.host:
                return not _process_exists(runner.pid)
            return False

        return is_gone

    def forget(self, is_gone: Gone) -> None:
        """Remove the rows of gone runners (after their work has been settled)."""
        with self._uow() as uow:
            for runner in uow.runners.all():
                if is_gone(runner.id):
                    uow.runners.delete(runner.id)
            uow.commit()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True
