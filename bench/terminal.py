"""The console the commands print to.

In a terminal, rich fits tables to its width. Piped or redirected (a CI log, `| less`, `> file`), there is
no width to fit and rich would assume 80 columns, cutting headers and wrapping every cell one word per
line; a wide fixed width keeps each row on one line instead. `COLUMNS` still wins when set.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

PIPED_WIDTH = 220


def make_console() -> Console:
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=PIPED_WIDTH)
