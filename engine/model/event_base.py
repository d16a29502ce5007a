"""What every event carries: when it happened and who caused it."""

from pydantic import AwareDatetime

from engine.model.frozen import Frozen


class EventBase(Frozen):
    at: AwareDatetime
    # Who caused it: a token's subject, or "system" for the coordinator's own decisions.
    actor: str = "system"
