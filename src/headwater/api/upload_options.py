"""Query parameters every CSV upload route shares: `header` (the first line names the
columns, matched by name; without it the fields are the dataset's columns in order) and,
on a one-call import, `schemaPolicy` (this load's, instead of the dataset's stream's)."""

from __future__ import annotations

from headwater.api.shared.flags import parse_flag
from headwater.domain.schema_policy import SchemaPolicy, parse_schema_policy

HEADER_HELP = (
    "true: the part's first line names its columns (matched by name; the stream's "
    "schemaPolicy decides about new ones). Default false: headerless, in schema order."
)


def header_flag(raw: str | None) -> bool:
    return parse_flag(raw, "header")


def policy_param(raw: str | None) -> SchemaPolicy | None:
    return parse_schema_policy(raw, field_name="schemaPolicy")
