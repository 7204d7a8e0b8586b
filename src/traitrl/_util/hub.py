"""Fail fast on a Hugging Face hub id that cannot be fetched: offline mode or no network, and not in the local cache.

Without this, transformers retries for about a minute before its own error.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from traitrl._util.errors import ModelError

_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def _cached(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def check_hub_id(repo_id: str) -> None:
    """ModelError at once when `repo_id` is neither in the local HF cache nor downloadable right now."""
    if _cached(repo_id):
        return
    offline = [v for v in _OFFLINE_VARS if os.environ.get(v, "").lower() in ("1", "true", "yes", "on")]
    if offline:
        raise ModelError(f"model {repo_id!r}: {offline[0]} is set and the model is not in the local Hugging Face "
                         "cache; download it once online, or pass a local folder")
    if not _hub_reachable():
        raise ModelError(f"model {repo_id!r}: not in the local Hugging Face cache and the hub cannot be reached "
                         "(no network); download it once online, or pass a local folder")
