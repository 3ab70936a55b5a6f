"""One reading of a figure that may be missing: records and frames hold None, NaN or text where a cell failed."""

from __future__ import annotations

import math
from typing import Any


def as_float(value: Any) -> float:
    """A float from a record or table value; None, text and anything else that is not a number become NaN."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
