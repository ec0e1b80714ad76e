"""The base of every catalog model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Model"]


class Model(BaseModel):
    """Frozen, closed to unknown keys, no silent type coercion."""

    model_config = ConfigDict(frozen=True, extra="forbid")
