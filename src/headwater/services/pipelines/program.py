"""Pipeline definitions: Feldera-style SQL (parsed with sqlglot) or the same thing as JSON.

SQL: `CREATE TABLE t (col TYPE [NOT NULL] [PRIMARY KEY], ..., [PRIMARY KEY (..)]) WITH
('connectors' = '[...]', 'schema_policy' = 'STRICT')` and `CREATE [MATERIALIZED] VIEW v AS
SELECT ...`. JSON: `{"tables": [{"name", "columns": [{"name", "type"}], "primary_key",
"schema_policy", "connectors": [...]}], "views": [{"name", "sql"}]}`. Either way each
connector is Feldera's object: `name`, `transport {name, config}`, `format {name, config}`,
`paused`, `labels`, `start_after`, `max_queued_records`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from headwater.domain.accounts import MASK, names_a_credential
from headwater.domain.columns import parse_column
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput, InvalidProgram
from headwater.domain.pipelines import (
    DEFAULT_MAX_QUEUED_RECORDS,
    ConnectorDef,
    Format,
    Program,
    TableDef,
    ViewDef,
)
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaPolicy, parse_schema_policy

# SQL type names (Feldera's and common spellings) to dataset column types.
SQL_TYPES: dict[str, ColumnType] = {
    **dict.fromkeys(
        ["TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINT"],
        ColumnType.LONG,
    ),
    **dict.fromkeys(["VARCHAR", "CHAR", "TEXT", "STRING", "NVARCHAR", "NCHAR"], ColumnType.STRING),
    **dict.fromkeys(["DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION"], ColumnType.DOUBLE),
    **dict.fromkeys(["DECIMAL", "NUMERIC"], ColumnType.DECIMAL),
    "DATE": ColumnType.DATE,
    **dict.fromkeys(["TIMESTAMP", "DATETIME", "TIMESTAMPNTZ"], ColumnType.DATETIME),
    **dict.fromkeys(["BOOLEAN", "BOOL"], ColumnType.BOOLEAN),
}
# Back to SQL, for the program code of a pipeline defined in JSON.
SQL_NAMES = {
    ColumnType.LONG: "BIGINT",
    ColumnType.STRING: "VARCHAR",
    ColumnType.DOUBLE: "DOUBLE",
    ColumnType.DECIMAL: "DECIMAL",
    ColumnType.DATE: "DATE",
    ColumnType.DATETIME: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
}
# A type and its arguments: `DECIMAL(12, 2)`, `VARCHAR(20)`, `DOUBLE PRECISION`.
_SQL_TYPE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*(?:\((.*)\))?\s*$", re.DOTALL)
_DECIMAL_SIZE = re.compile(r"^\s*(\d{1,9})\s*(?:,\s*(\d{1,9})\s*)?$")


def sql_name(column: Column) -> str:
    """The column's type in the program's SQL: `DECIMAL(12, 2)`, `BIGINT`, ..."""
    if column.type is ColumnType.DECIMAL:
        precision, scale = column.decimal_size
        return f"DECIMAL({precision}, {scale})"
    return SQL_NAMES[column.type]


def program_column(
    name: str, raw: str, where: str, precision: object = None, scale: object = None
) -> Column:
    """A table's column from its SQL type (`NUMERIC(12,2)`: a DECIMAL keeps its size; a bare
    DECIMAL is DECIMAL(38, 9); the length of a VARCHAR is not kept)."""
    found = _SQL_TYPE.match(raw)
    type_name = " ".join(found.group(1).upper().split()) if found else ""
    kind = SQL_TYPES.get(type_name)
    if kind is None and type_name in ColumnType.__members__:
        kind = ColumnType(type_name)
    if found is None or kind is None:
        allowed = ", ".join(sorted(SQL_TYPES))
        raise InvalidProgram(f"{where}: unsupported column type {raw!r}; use {allowed}")
    if kind is not ColumnType.DECIMAL:
        return Column(name, kind)
    if found.group(2) is not None:
        size = _DECIMAL_SIZE.match(found.group(2))
        if size is None or precision is not None or scale is not None:
            raise InvalidProgram(
                f"{where}, column {name!r}: write a decimal's size as DECIMAL(precision) or "
                f"DECIMAL(precision, scale), once, not {raw!r}"
            )
        precision, scale = int(size.group(1)), int(size.group(2) or 0)
    try:
        return parse_column(name, "DECIMAL", precision, scale, field=name)
    except InvalidInput as exc:
        raise InvalidProgram(f"{where}, column {name!r}: {exc.message}") from None


def _identifier(node: exp.Expression) -> tuple[str, bool]:
    """A SQL name in its canonical form: unquoted names fold to lower case."""
    ident = node if isinstance(node, exp.Identifier) else node.find(exp.Identifier)
    if ident is None:
        raise InvalidProgram(f"expected a name, found {node.sql()!r}")
    quoted = bool(ident.args.get("quoted"))
    return (ident.name if quoted else ident.name.lower()), quoted


# -- SQL ---------------------------------------------------------------------------------
def parse_sql(code: str) -> Program:
    try:
        return _parse_sql(code)
    except RecursionError:
        # sqlglot parses and writes SQL recursively: 100 nested subqueries or 1,000
        # parentheses exhaust Python's stack before any limit of ours would be reached.
        raise InvalidProgram("the program nests too deeply to parse") from None


def _parse_sql(code: str) -> Program:
    try:
        statements = [s for s in sqlglot.parse(code, read="postgres") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" (line {first.get('line')}, column {first.get('col')})" if first else ""
        description = first.get("description", str(exc)) if first else str(exc)
        raise InvalidProgram(f"the program does not parse{where}: {description}") from None
    tables: list[TableDef] = []
    views: list[ViewDef] = []
    for statement in statements:
        if not isinstance(statement, exp.Create):
            raise InvalidProgram(
                f"a program holds CREATE TABLE and CREATE VIEW statements, not "
                f"{statement.key.upper()}"
            )
        kind = str(statement.args.get("kind") or "").upper()
        if kind == "TABLE":
            tables.append(_table(statement))
        elif kind == "VIEW":
            views.append(_view(statement))
        else:
            raise InvalidProgram(f"CREATE {kind} is not supported in a program")
    return Program(tables=tuple(tables), views=tuple(views)).check()


def _table(statement: exp.Create) -> TableDef:
    schema = statement.this
    if not isinstance(schema, exp.Schema):
        raise InvalidProgram("CREATE TABLE needs a column list")
    name, quoted = _identifier(schema.this)
    columns: list[Column] = []
    keys: list[str] = []
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            column, _ = _identifier(item.this)
            kind = item.args.get("kind")
            columns.append(program_column(column, kind.sql() if kind else "", name))
            for constraint in item.args.get("constraints") or []:
                if isinstance(constraint.args.get("kind"), exp.PrimaryKeyColumnConstraint):
                    keys.append(column)
        elif isinstance(item, exp.PrimaryKey):
            keys.extend(_identifier(part)[0] for part in item.expressions)
        else:
            raise InvalidProgram(f"table {name!r}: unsupported clause {item.sql()!r}")
    connectors: list[ConnectorDef] = []
    policy = DEFAULT_POLICY
    properties = statement.args.get("properties")
    for prop in properties.expressions if properties else []:
        key = prop.this.name if isinstance(prop, exp.Property) else ""
        value = prop.args.get("value")
        text = value.name if isinstance(value, exp.Literal) else ""
        if key.lower() == "connectors":
            connectors = parse_connectors(text, name)
        elif key.lower() == "schema_policy":
            policy = table_schema_policy(text, name)
        elif key.lower() not in ("materialized", "append_only"):
            raise InvalidProgram(f"table {name!r}: unknown property {key!r}")
    missing = [k for k in keys if k not in {c.name for c in columns}]
    if missing:
        raise InvalidProgram(f"table {name!r}: primary key column {missing[0]!r} does not exist")
    return TableDef(name, tuple(columns), tuple(keys), tuple(connectors), quoted, policy)


def table_schema_policy(raw: Any, table: str) -> SchemaPolicy:
    """A table's `schema_policy` (any case; EVOLVE when not given), or a 400 naming both."""
    try:
        return parse_schema_policy(raw, field_name="program_code") or DEFAULT_POLICY
    except InvalidInput:
        choices = ", ".join(p.value for p in SchemaPolicy)
        raise InvalidProgram(
            f"table {table!r}: unknown schema_policy {raw!r}; use one of {choices}",
            field="program_code",
        ) from None


def _view(statement: exp.Create) -> ViewDef:
    name, _ = _identifier(statement.this)
    query = statement.args.get("expression")
    if not isinstance(query, exp.Query):
        raise InvalidProgram(f"view {name!r} needs AS SELECT ...")
    properties = statement.args.get("properties")
    materialized = any(
        isinstance(p, exp.MaterializedProperty)
        for p in (properties.expressions if properties else [])
    )
    return ViewDef(name, query.sql(dialect="duckdb"), materialized)


# -- connectors (shared by SQL and JSON) -------------------------------------------------
def parse_connectors(text: str, table: str) -> list[ConnectorDef]:
    try:
        raw = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise InvalidProgram(f"table {table!r}: 'connectors' is not valid JSON: {exc}") from None
    if not isinstance(raw, list):
        raise InvalidProgram(f"table {table!r}: 'connectors' must be a JSON array")
    return [connector_from_json(item, table, index) for index, item in enumerate(raw)]


def connector_from_json(raw: Any, table: str, index: int) -> ConnectorDef:
    where = f"table {table!r}, connector {index}"
    if not isinstance(raw, dict):
        raise InvalidProgram(f"{where}: a connector is a JSON object")
    transport = raw.get("transport")
    if not isinstance(transport, dict) or not isinstance(transport.get("name"), str):
        raise InvalidProgram(f"{where}: 'transport' with a 'name' is required")
    fmt = raw.get("format")
    if fmt is not None and (not isinstance(fmt, dict) or not isinstance(fmt.get("name"), str)):
        raise InvalidProgram(f"{where}: 'format' needs a 'name'")
    start_after = raw.get("start_after")
    if isinstance(start_after, str):
        start_after = [start_after]
    if start_after is not None and (
        not isinstance(start_after, list)
        or not start_after
        or not all(isinstance(s, str) for s in start_after)
    ):
        raise InvalidProgram(f"{where}: 'start_after' must be a label or a non-empty list")
    labels = raw.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(s, str) for s in labels):
        raise InvalidProgram(f"{where}: 'labels' must be a list of strings")
    queued = raw.get("max_queued_records", DEFAULT_MAX_QUEUED_RECORDS)
    if not isinstance(queued, int) or queued < 1:
        raise InvalidProgram(f"{where}: 'max_queued_records' must be a positive integer")
    name = raw.get("name") or f"unnamed-{index}"
    return ConnectorDef(
        name=str(name),
        transport=transport["name"],
        transport_config=dict(transport.get("config") or {}),
        format=Format(fmt["name"], dict(fmt.get("config") or {})) if fmt else None,
        paused=bool(raw.get("paused", False)),
        labels=tuple(labels),
        start_after=tuple(start_after or ()),
        max_queued_records=queued,
    )


# -- JSON --------------------------------------------------------------------------------
def parse_json(tables: Any, views: Any = None) -> Program:
    if not isinstance(tables, list):
        raise InvalidProgram("'tables' must be a list")
    parsed: list[TableDef] = []
    for t_index, raw in enumerate(tables):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InvalidProgram(f"table {t_index} needs a 'name'")
        name = raw["name"]
        columns = []
        for c_index, column in enumerate(raw.get("columns") or []):
            if not isinstance(column, dict) or not isinstance(column.get("name"), str):
                raise InvalidProgram(f"table {name!r}, column {c_index} needs a 'name'")
            columns.append(
                program_column(
                    column["name"],
                    str(column.get("type", "")),
                    name,
                    column.get("precision"),
                    column.get("scale"),
                )
            )
        if not columns:
            raise InvalidProgram(f"table {name!r} needs at least one column")
        connectors = [
            connector_from_json(c, name, i) for i, c in enumerate(raw.get("connectors") or [])
        ]
        keys = tuple(raw.get("primary_key") or ())
        policy = table_schema_policy(raw.get("schema_policy"), name)
        parsed.append(TableDef(name, tuple(columns), keys, tuple(connectors), True, policy))
    view_defs = []
    for v_index, raw in enumerate(views or []):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InvalidProgram(f"view {v_index} needs a 'name' and 'sql'")
        view_defs.append(ViewDef(raw["name"], str(raw.get("sql", ""))))
    return Program(tables=tuple(parsed), views=tuple(view_defs)).check()


def render_sql(program: Program) -> str:
    """The program as Feldera SQL, for pipelines defined in JSON (GET shows program_code)."""
    return _render(program, lambda config: config)


def render_masked_sql(program: Program) -> str:
    """The program as a caller who may not edit the pipeline sees it: each connector's
    credentials (password, token, private key fields, a password in a URL) as `********`."""
    return _render(program, _masked_config)


def _masked_config(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if names_a_credential(str(k)) and not isinstance(v, dict) else _masked_config(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked_config(v) for v in value]
    if isinstance(value, str) and "://" in value and "@" in value:
        return _URL_PASSWORD.sub(r"\1" + MASK + "@", value)
    return value


_URL_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/@]*:)[^@/]*@", re.IGNORECASE)


def _render(program: Program, config: Callable[[Any], Any]) -> str:
    statements = []
    for table in program.tables:
        columns = [f'"{c.name}" {sql_name(c)}' for c in table.columns]
        if table.primary_key:
            columns.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in table.primary_key) + ")")
        body = f'CREATE TABLE "{table.name}" (' + ", ".join(columns) + ")"
        properties = []
        if table.schema_policy is not DEFAULT_POLICY:
            properties.append(f"'schema_policy' = '{table.schema_policy.value}'")
        if table.connectors:
            connectors = [_with_config(c.wire(), config) for c in table.connectors]
            wired = json.dumps(connectors).replace("'", "''")
            properties.append(f"'connectors' = '{wired}'")
        if properties:
            body += " WITH (" + ", ".join(properties) + ")"
        statements.append(body + ";")
    statements.extend(f'CREATE VIEW "{v.name}" AS {v.sql};' for v in program.views)
    return "\n".join(statements)


def _with_config(wired: dict[str, Any], config: Callable[[Any], Any]) -> dict[str, Any]:
    transport = wired["transport"]
    return {**wired, "transport": {**transport, "config": config(transport["config"])}}
