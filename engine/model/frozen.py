"""The base of every domain type: immutable, unknown fields refused."""

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable and strict about its fields.

    ``pydantic.ValidationError`` is a ``ValueError``; its message names the field and the value given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
