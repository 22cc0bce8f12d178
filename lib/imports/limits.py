"""What an import accepts before refusing a file, read once from the environment (CRHQ_IMPORT_*)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Limits:
    # Excel's own sheet limit: a file no spreadsheet could have produced is refused, not read.
    max_rows: int = 1_048_576
    # The widest kind has 23 columns; vendor files carry a few extra ones, which are ignored.
    max_columns: int = 200
    # Every member of an .xlsx (a zip) added up, as the zip's directory declares it, checked before
    # anything is decompressed. 200 MB of sheet XML is about 400,000 rows of a 13-column complaint
    # sheet; bigger files import faster as CSV anyway.
    max_xlsx_unpacked_mb: int = 200
    # A member that claims to expand more than this many times is a zip bomb, not a spreadsheet
    # (real sheets compress 5-30 times).
    max_xlsx_ratio: int = 200
    # Excel's own cell limit; longer free text is a row error (text columns with a database length
    # are held to that length instead).
    max_cell_chars: int = 32_767
    # Rows parsed per chunk: memory beyond the parsed file is one chunk of raw cells.
    read_chunk_rows: int = 50_000
    # SQLite has one writer at a time: an import commits after holding the write lock this long
    # and then lets other writers in (logins, form saves) before it goes on.
    lock_seconds: float = 1.0
    # SQLite's busy handler retries every 100 ms once a writer has waited a while: a pause longer
    # than that lets every waiting writer in.
    pause_seconds: float = 0.12


def _number(name: str, default: float) -> float:
    raw = os.environ.get(f"CRHQ_IMPORT_{name.upper()}", "").strip()
    return type(default)(raw) if raw else default


@lru_cache(maxsize=1)
def get_limits() -> Limits:
    defaults = Limits()
    return Limits(**{name: _number(name, getattr(defaults, name)) for name in Limits.__dataclass_fields__})
