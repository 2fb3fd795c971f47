"""A connector's configuration, checked against the JSON Schema its `spec()` declares.

Streams carry configuration the way Domo does: every value a string (`{"name": "port",
"value": "5432", "type": "string"}`). Before validation each value is turned into the type the
spec asks for (integer, number, boolean, array or object), so a connector always receives
real types. The first problem found is reported as a 400 naming the field.

A streaming source's `transport.config` is plain JSON, already typed: it is only checked
(`check_config`, the same validation), its fields named under `transport.config`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from headwater.domain.errors import InvalidInput

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def prepare_config(spec: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` coerced to the spec's types and validated; raises InvalidInput naming the field."""
    properties = spec.get("properties") or {}
    config = {
        name: _coerce(name, value, properties.get(name) or {}) for name, value in values.items()
    }
    check_config(spec, config)
    return config


def check_config(
    spec: Mapping[str, Any], config: Mapping[str, Any], prefix: str = "configuration"
) -> None:
    """`config` validated against `spec` as it is; raises InvalidInput naming the first field
    at fault as `<prefix>.<path>` (`configuration.port`, `transport.config.stream_name`)."""
    errors = sorted(Draft202012Validator(dict(spec)).iter_errors(dict(config)), key=_error_order)
    if errors:
        raise _invalid(errors[0], prefix)


def secret_fields(spec: Mapping[str, Any]) -> set[str]:
    """Top-level properties marked `"secret": true` (or Airbyte's `"airbyte_secret": true`)."""
    return {
        name
        for name, prop in (spec.get("properties") or {}).items()
        if isinstance(prop, Mapping) and (prop.get("secret") or prop.get("airbyte_secret"))
    }


def _coerce(name: str, value: Any, prop: Mapping[str, Any]) -> Any:
    if not isinstance(value, str):
        return value
    wanted = prop.get("type")
    kinds = set(wanted) if isinstance(wanted, list) else {wanted}
    if "string" in kinds or not kinds - {None}:
        return value
    text = value.strip()
    if "integer" in kinds and _is_int(text):
        return int(text)
    if "number" in kinds:
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in kinds and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if kinds & {"array", "object"}:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise InvalidInput(
                f"configuration {name!r} must be JSON ({wanted})",
                field=f"configuration.{name}",
            ) from None
    return value  # left as text: validation names the type it should have been


def _is_int(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def _error_order(error: ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), str(list(error.absolute_path)))


def _invalid(error: ValidationError, prefix: str) -> InvalidInput:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.validator_value, list):
        present = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [name for name in error.validator_value if name not in present]
        path.append(missing[0] if missing else "?")
        return InvalidInput(
            f"{prefix} {'.'.join(path)!r} is required", field=f"{prefix}.{'.'.join(path)}"
        )
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(
            (error.schema.get("properties") or {}) if isinstance(error.schema, Mapping) else ()
        )
        extra = sorted(set(error.instance) - allowed)
        name = ".".join([*path, extra[0]]) if extra else ".".join(path)
        return InvalidInput(
            f"{prefix} {name!r} is not a setting of this connector; "
            f"known: {', '.join(sorted(allowed))}",
            field=f"{prefix}.{name}",
        )
    where = ".".join(path) or "(root)"
    return InvalidInput(f"{prefix} {where!r}: {error.message}", field=f"{prefix}.{where}")
