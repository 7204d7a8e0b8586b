"""Importing this package registers every benchmark: one module per family, found by listing the package.

Listing (not naming) the modules lets families land independently. A module that exists but fails to import is
a bug and raises.
"""

from __future__ import annotations

import importlib
import pkgutil


def _import_families() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names


FAMILIES = _import_families()
