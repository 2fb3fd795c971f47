"""A dataset's committed data as CSV, streamed: the export path of every API dialect."""

from __future__ import annotations

from collections.abc import Iterator

from headwater.domain import access
from headwater.domain.ports import CsvExporter, DatasetStore, UnitOfWorkFactory
from headwater.domain.users import Principal
from headwater.services.dataset_access import authorize


class Exports:
    def __init__(self, uow: UnitOfWorkFactory, store: DatasetStore, exporter: CsvExporter) -> None:
        self._uow = uow
        self._store = store
        self._exporter = exporter

    def csv(self, actor: Principal, dataset_id: str, include_header: bool) -> Iterator[bytes]:
        """Authorized now, read lazily: the files are those of the version committed when the
        export starts, so a commit while it streams does not mix two versions."""
        with self._uow() as uow:
            dataset, _ = authorize(uow, actor, dataset_id, access.VIEW)
        files = self._store.data_files(dataset_id)
        return self._exporter.csv(files, dataset.columns or [], include_header)
