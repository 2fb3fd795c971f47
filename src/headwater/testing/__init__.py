"""Tools for testing Headwater connectors, built-in or plug-in.

    from headwater.testing import check_connector

    def test_my_connector_keeps_the_contract():
        result = check_connector(MyConnector(), {"url": "..."}, incremental=True)
        assert result.table.num_rows == 3

See `headwater.testing.contract` for what is checked.
"""

from headwater.testing.contract import ContractResult, check_connector, read_all

__all__ = ["ContractResult", "check_connector", "read_all"]
