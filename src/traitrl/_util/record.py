"""The base of every result record that stats and report write to JSON."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A result record: an unknown field is an error, so a misspelt or stale key never passes silently."""

    model_config = ConfigDict(extra="forbid")
