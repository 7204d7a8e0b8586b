"""Content fingerprints: of model weights (what an eval record is keyed by, never a path) and of scorer functions.

A weight file's SHA-256 is cached per file under (resolved path, size, mtime, inode), so re-keying an unchanged
135M model costs a stat call; a replaced `model.safetensors` gets a new fingerprint even at the same path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from traitrl._util.io import read_json, stable_hash, write_json_atomic

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def _cache_path() -> Path:
    return Path(os.environ.get("TRAITRL_FINGERPRINT_CACHE", "~/.cache/traitrl/weight_hashes.json")).expanduser()


def file_sha256(path: Path) -> str:
    """SHA-256 of one file, memoised by (path, size, mtime_ns, inode) in a small JSON cache."""
    path = path.resolve()
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"
    cache_file = _cache_path()
    try:
        cache = read_json(cache_file) if cache_file.is_file() else {}
    except Exception:  # an unreadable cache only costs a re-hash
        cache = {}
    if key not in cache:
        with path.open("rb") as f:
            cache[key] = hashlib.file_digest(f, "sha256").hexdigest()
        # Drop entries of files that changed or vanished so the cache stays small.
        cache = {k: v for k, v in cache.items() if k == key or Path(k.split("|")[0]).exists()}
        write_json_atomic(cache_file, cache)
    return cache[key]


def weights_fingerprint(model_dir: str | Path) -> str:
    """Fingerprint of a model folder: its weight files' content hashes plus config.json (dtype, architecture)."""
    folder = Path(model_dir)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))
    parts: list[Any] = [(str(p.relative_to(folder)), file_sha256(p)) for p in files]
    config = folder / "config.json"
    if config.is_file():
        parts.append(("config.json", hashlib.sha256(config.read_bytes()).hexdigest()))
    return stable_hash("weights", parts)


def module_fingerprint(model) -> str:
    """Fingerprint of an in-memory torch model: every tensor's name, dtype, shape and bytes."""
    import torch

    h = hashlib.sha256()
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            h.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
            flat = tensor.detach().contiguous().reshape(-1).cpu()
            if flat.numel():
                h.update(flat.view(torch.uint8).numpy())  # the buffer itself, no copy of a 0.5 GB model
    return stable_hash("weights", h.hexdigest())


def scorer_fingerprint(fn: Callable, _depth: int = 0) -> str:
    """Name plus a hash of the scorer's code and of the plain values it closes over (regexes, thresholds, judges)."""
    code = getattr(fn, "__code__", None)
    cells = [_plain(c.cell_contents, _depth) for c in (getattr(fn, "__closure__", None) or ()) if _filled(c)]
    body = (code.co_code.hex(), repr(code.co_consts), code.co_names) if code else repr(fn)
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}:" \
           f"{stable_hash(body, cells, length=12)}"


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018
        return True
    except ValueError:
        return False


def _plain(value: Any, depth: int) -> Any:
    """A reproducible stand-in for a closure value (object reprs hold addresses, which change every run)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if callable(value):
        nested = hasattr(value, "__code__") and depth < 3  # bounded: a closure may refer to itself
        return scorer_fingerprint(value, depth + 1) if nested else getattr(value, "__qualname__", "?")
    if hasattr(value, "pattern"):  # compiled regex
        return value.pattern
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return type(value).__qualname__
