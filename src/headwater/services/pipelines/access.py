"""Who may see or drive a pipeline: decided by the datasets that hold its tables.

A pipeline's tables are datasets owned by the pipeline's creator. The creator and admins hold
OWNER on the pipeline. Anyone else sees it when they may view at least one of its tables, and
their level on it is the lowest level they hold across all its tables: driving the pipeline
(start, pause, connector control, ingress) needs CAN_EDIT on every table, deleting it needs
CO_OWNER on every table. Queries need CAN_VIEW on each table or view's tables they read.
"""

from __future__ import annotations

from headwater.domain.access import AccessLevel, effective_level
from headwater.domain.errors import PermissionDenied, UnknownPipeline
from headwater.domain.pipelines import Pipeline
from headwater.domain.ports.unit_of_work import UnitOfWork
from headwater.domain.users import Principal


def level_on(uow: UnitOfWork, actor: Principal, pipeline: Pipeline) -> AccessLevel | None:
    if actor.is_admin or actor.id == pipeline.owner_id:
        return AccessLevel.OWNER
    levels = []
    for dataset_id in pipeline.table_datasets.values():
        dataset = uow.datasets.find(dataset_id)
        levels.append(
            None
            if dataset is None
            else effective_level(actor, dataset.owner_id, uow.datasets.grants(dataset_id))
        )
    held = [level for level in levels if level is not None]
    if not held:
        return None
    if len(held) < len(levels):
        return AccessLevel.CAN_VIEW  # sees some tables, so may look, not drive
    return min(held, key=lambda level: level.value)


def authorize_pipeline(
    uow: UnitOfWork, actor: Principal, name: str, needed: AccessLevel
) -> tuple[Pipeline, AccessLevel]:
    """The pipeline and the actor's level; UnknownPipeline if they may not know it exists."""
    pipeline = uow.pipelines.find_by_name(name)
    level = level_on(uow, actor, pipeline) if pipeline is not None else None
    if pipeline is None or level is None:
        raise UnknownPipeline(f"Unknown pipeline name '{name}'", pipeline_name=name)
    if not level.allows(needed):
        raise PermissionDenied(
            f"{needed.name} is needed on every table of pipeline {name!r}; you have {level.name}"
        )
    return pipeline, level
