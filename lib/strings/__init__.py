"""UI strings of later features, one module per feature (each defines `STRINGS: dict[str, tuple[zh, en]]`).

lib.i18n merges every module of this package into its table at import, so a feature adds its strings in
its own file. A key defined twice is an error, not a silent override."""
from __future__ import annotations

import importlib
import pkgutil


def collect() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        table = importlib.import_module(f"{__name__}.{info.name}").STRINGS
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"lib.strings.{info.name} redefines {sorted(clash)}")
        merged.update(table)
    return merged
