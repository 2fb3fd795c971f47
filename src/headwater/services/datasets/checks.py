"""A dataset's quality checks: read (CAN_VIEW) and replaced as a whole (CAN_EDIT, and no row
policy restricting the caller on the dataset: checks judge every row, hidden ones too).

The checks are validated against the dataset's columns when they are set (each problem a
400 naming the field, `checks[2].column`), a REGEX pattern by the very engine that will run
it, and again before each load (the schema may have changed since). What they found is kept
on each execution (`Execution.check_report`); `for_reader` shows its sample rows only to
callers who may read every row of the dataset, since a row policy may hide those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from headwater.domain import access
from headwater.domain.checks import (
    CheckKind,
    CheckSet,
    CheckSpec,
    OnFailure,
    define,
    quarantine_columns,
)
from headwater.domain.errors import InvalidInput, PermissionDenied
from headwater.domain.executions import Execution
from headwater.domain.ports.engines import CheckEngine
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.datasets.access import authorize
from headwater.services.datasets.policies import row_filter_in


def parse_on_failure(raw: str | None) -> OnFailure:
    if raw is None:
        return OnFailure.FAIL
    try:
        return OnFailure(raw.strip().upper())
    except ValueError:
        raise InvalidInput(
            f"onFailure {raw!r} is not one of FAIL, QUARANTINE", field="onFailure"
        ) from None


class DatasetChecks:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, engine: CheckEngine) -> None:
        self._uow = uow
        self._clock = clock
        self._engine = engine

    def get(self, actor: Principal, dataset_id: str) -> CheckSet:
        with self._uow() as uow:
            authorize(uow, actor, dataset_id, access.VIEW)
            return uow.checks.find(dataset_id) or CheckSet(dataset_id)

    def put(
        self,
        actor: Principal,
        dataset_id: str,
        on_failure: str | None,
        specs: Sequence[CheckSpec],
    ) -> CheckSet:
        """Replace the dataset's checks (an empty list removes them all)."""
        mode = parse_on_failure(on_failure)
        with self._uow() as uow:
            dataset, level = authorize(uow, actor, dataset_id, access.EDIT)
            if not row_filter_in(uow, actor, dataset, level).everything:
                # A check sees every row: a UNIQUE check of theirs would tell a restricted
                # editor, by failing their probes, the values of rows hidden from them.
                raise PermissionDenied(
                    f"a row policy limits the rows of dataset {dataset_id} you may read, so you "
                    "may not set or clear its quality checks (they judge every row, hidden ones "
                    "too): ask its owner or an admin"
                )
            if specs and dataset.columns is None:
                raise InvalidInput(
                    "the dataset has no schema yet; give it one (or load data) before its checks",
                    field="checks",
                )
            columns = dataset.columns or []
            checks = define(specs, columns)
            for index, check in enumerate(checks):
                if check.kind is CheckKind.REGEX and check.pattern is not None:
                    error = self._engine.pattern_error(check.pattern)
                    if error is not None:
                        raise InvalidInput(
                            f"checks[{index}].pattern is not a regular expression DuckDB "
                            f"accepts (RE2 syntax): {error}",
                            field=f"checks[{index}].pattern",
                        )
            if mode is OnFailure.QUARANTINE:
                quarantine_columns(columns)
            current = uow.checks.find(dataset_id)
            check_set = CheckSet(
                dataset_id=dataset_id,
                on_failure=mode,
                checks=checks,
                quarantine_dataset_id=current.quarantine_dataset_id if current else None,
                modified_at=self._clock.now(),
                modified_by=actor.id,
            )
            uow.checks.put(check_set)
            uow.commit()
            return check_set


def for_reader(
    uow: UnitOfWork, actor: Principal, dataset_id: str, executions: list[Execution]
) -> list[Execution]:
    """The executions as this caller may see them: sample rows of failed checks are rows of
    the dataset's load, so only a caller no row policy restricts sees them."""
    if not any(e.check_report is not None for e in executions):
        return executions
    dataset = uow.datasets.find(dataset_id)
    level = None
    if dataset is not None:
        level = access.effective_level(actor, dataset.owner_id, uow.datasets.grants(dataset_id))
    if (
        dataset is not None
        and level is not None
        and row_filter_in(uow, actor, dataset, level).everything
    ):
        return executions
    return [
        replace(e, check_report=e.check_report.without_samples()) if e.check_report else e
        for e in executions
    ]
