"""Why the coordinator refused a command: which field, what is wrong, and what kind of refusal it is."""

from typing import Literal


class Rejected(ValueError):
    """``kind``: ``not_found`` (an id names nothing), ``conflict`` (the state does not allow it now), or
    ``invalid`` (the value itself is wrong for this community). ``field`` names the input field."""

    def __init__(self, kind: Literal["not_found", "conflict", "invalid"], field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.kind = kind
        self.field = field
        self.message = message
