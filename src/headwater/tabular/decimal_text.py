"""Decimal text into decimal128 exactly, never through Arrow's own decimal parser.

Arrow's text-to-decimal conversion (its CSV and JSON readers, and `cast`) rescales without
bounds: pyarrow 26 reads `0.000…0001` (sixty zeros) into decimal128(12, 2) as 0.00, `1e-77`
as 0, and crashes the whole process on `1e-10000000` (an out-of-bounds read of its table of
powers of ten). So readers take DECIMAL columns as text (`as_text`), and `from_text` brings
each value, with vectorized string kernels, to the one form Arrow parses without rescaling —
`[-]digits.digits` with exactly the column's scale — before casting. A value that cannot take
that form exactly (not a number, too many digits before or after the point) raises
ArrowInvalid, which every reader already turns into an error naming the line and column
(`csv_diagnose`, `decimal_problem`). Exponents (`1.5e3`) are rare in decimal text: those
values alone are written out in Python's `Decimal`, within bounds, then take the same path.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# sign, digits before the point, digits after it; surrounding blanks allowed, as Arrow did
PLAIN = r"^\s*(?P<sign>[+-]?)(?P<whole>\d*)(?:\.(?P<frac>\d*))?\s*$"
EXPONENT = r"[eE]"
# An exponent further than this from the column's digits cannot give an exact fit; such a
# value is left as written, and refused like any other misfit (never expanded in memory).
EXPONENT_SLACK = 40
# No text this short can hold more than 38 digits after the point (see `_plain_cast`).
SHORT_TEXT = 39


def as_text(schema: pa.Schema) -> pa.Schema:
    """`schema` with its decimal fields read as text (for a reader's column types)."""
    return pa.schema(
        [pa.field(f.name, pa.string(), f.nullable) if pa.types.is_decimal(f.type) else f
         for f in schema]
    )  # fmt: skip


def has_decimals(schema: pa.Schema) -> bool:
    return any(pa.types.is_decimal(f.type) for f in schema)


def decimals_from_text(table: pa.Table, target: pa.Schema) -> pa.Table:
    """`table` (read with `as_text(target)`) with its decimal columns converted."""
    arrays = [
        from_text(array, field.type)
        if pa.types.is_decimal(field.type) and pa.types.is_string(array.type)
        else array
        for array, field in zip(table.columns, target, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=target)


def from_text(array: pa.Array | pa.ChunkedArray, target: pa.DataType) -> pa.Array:
    """Text values as `target` (a decimal128) exactly; ArrowInvalid naming the first value
    that does not fit."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    precision, scale = int(target.precision), int(target.scale)
    fast = _plain_cast(array.cast(pa.string()), target)
    if fast is not None:
        return fast
    if pc.any(pc.match_substring_regex(array, EXPONENT)).as_py():
        array = _expand_exponents(array, precision, scale)
    parts = pc.extract_regex(array, PLAIN)  # a null where the text is not plain decimal
    # (`struct_field`, not `.field`: a null row's fields must stay null)
    digits_before = pc.struct_field(parts, "whole")
    digits_after = pc.struct_field(parts, "frac")
    whole = pc.utf8_ltrim(digits_before, "0")
    frac = pc.utf8_rtrim(digits_after, "0")
    misfit = pc.or_(
        pc.and_(  # a sign or a point, but no digit
            pc.equal(pc.utf8_length(digits_before), 0), pc.equal(pc.utf8_length(digits_after), 0)
        ),
        pc.or_(
            pc.greater(pc.utf8_length(whole), precision - scale),
            pc.greater(pc.utf8_length(frac), scale),
        ),
    )
    bad = pc.and_(array.is_valid(), pc.or_(parts.is_null(), pc.fill_null(misfit, False)))
    if pc.any(bad).as_py():
        first = array.filter(bad)[0].as_py()
        raise pa.ArrowInvalid(f"Error converting {str(first)[:100]!r} to {target}")
    sign = pc.replace_substring(parts.field("sign"), "+", "")
    whole = pc.if_else(pc.equal(pc.utf8_length(whole), 0), "0", whole)
    pieces = [sign, whole]
    if scale:
        pieces += [pa.scalar("."), pc.utf8_rpad(frac, scale, "0")]
    canonical = pc.binary_join_element_wise(*pieces, "")
    return canonical.cast(target)


def _plain_cast(array: pa.Array, target: pa.DataType) -> pa.Array | None:
    """The usual case, cheaply. Arrow's parse goes wrong only when it must rescale by more
    than its table of powers of ten holds (10^0 to 10^38): with an exponent, or with more
    than 38 digits after the point. Without an exponent, and with every value at most
    `SHORT_TEXT` bytes long, neither can happen: Arrow's parse is then exact or an error, and
    a full validation catches a value it let past the precision. None when that cannot be
    said (then `from_text` takes the careful way)."""
    if array.null_count == len(array):
        return array.cast(target)  # nothing to parse (an empty array too)
    if pc.max(pc.binary_length(array)).as_py() > SHORT_TEXT:
        return None
    first, last = array.offset, array.offset + len(array)
    offsets = np.frombuffer(array.buffers()[1], np.int32)[[first, last]]
    text = np.frombuffer(array.buffers()[2], np.uint8)[int(offsets[0]) : int(offsets[1])]
    if np.any((text == ord("e")) | (text == ord("E"))):
        return None
    try:
        parsed = array.cast(target)
        parsed.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return parsed


def _expand_exponents(array: pa.Array, precision: int, scale: int) -> pa.Array:
    """Values with an exponent written out in plain digits, where that can be exact."""
    values = array.to_pylist()
    for index, value in enumerate(values):
        if value is None or ("e" not in value and "E" not in value) or not value.isascii():
            continue  # (Decimal would take other scripts' digits; the check below does not)
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            continue  # not a number: refused by the plain-text check
        if not number.is_finite():
            continue
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)  # finite, checked above
        if number.is_zero():
            values[index] = "0"
        elif -scale - EXPONENT_SLACK <= exponent <= precision + EXPONENT_SLACK:
            values[index] = format(number, "f")
    return pa.array(values, pa.string())
