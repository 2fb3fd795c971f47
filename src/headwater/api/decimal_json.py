"""A DECIMAL value in a JSON answer, without losing a digit.

Most JSON parsers read a number as a double. So a decimal goes out as a JSON number when the
double nearest to it prints as the same number (every value of up to 15 significant digits
does: 1262525250.00, 0.10, -12.5), and otherwise as a string of its exact digits
(`"123456789.123456789"`), which a double would have rounded. `Decimal(str(x))` reads either
form back exactly. Feldera's dialect differs (`api/feldera/data.py`): its client parses
numbers as decimals, so there every decimal is a JSON number with all of its digits.
"""

from __future__ import annotations

import math
from decimal import Decimal


def decimal_json(value: Decimal) -> float | str | None:
    if not value.is_finite():
        return None  # not produced by a DECIMAL column; as a non-finite double is shown
    number = float(value)
    if math.isfinite(number) and Decimal(repr(number)) == value:
        return number
    return format(value, "f")
