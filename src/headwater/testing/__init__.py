"""Tools for testing Headwater connectors of both shapes, built-in or plug-in.

    from headwater.testing import check_connector, check_source

    def test_my_connector_keeps_the_contract():
        result = check_connector(MyConnector(), {"url": "..."}, incremental=True)
        assert result.table.num_rows == 3

    def test_my_source_keeps_the_contract():
        result = check_source(MySource, {"path": "..."}, [Column("id", ColumnType.LONG)])
        assert result.records == 3

See `headwater.testing.contract` (batch) and `headwater.testing.source_contract` (streaming)
for what is checked.
"""

from headwater.testing.contract import ContractResult, check_connector, read_all
from headwater.testing.source_contract import SourceResult, check_source

__all__ = ["ContractResult", "SourceResult", "check_connector", "check_source", "read_all"]
