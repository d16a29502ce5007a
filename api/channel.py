"""Channel names: built and read here only.

A channel is a kind and the community (or, for ``street``, the street) it belongs to, and for the kinds that
name something inside a community, that thing's id: ``community:c1``, ``incident:c1:i1``,
``organisation:c1:boats``, ``grid:c1:g1``, ``building:c1:b1``, ``appeals:c1``, ``street:s1``. Ids inside a community are the
community's own, so a channel never lets one community hear of, or guess, another's incident or organisation.
"""

from dataclasses import dataclass
from enum import StrEnum

from engine.coordinator.refs import is_street_key, street_key, street_of_key

# A channel's scope for the street's own pool board (its organisations' channels): ids never hold "~".
_POOL = "~"


class Kind(StrEnum):
    COMMUNITY = "community"
    INCIDENT = "incident"
    ORGANISATION = "organisation"
    GRID = "grid"
    BUILDING = "building"
    STREET = "street"
    # Residents' appeals of a community: its cadres and its street's staff only.
    APPEALS = "appeals"


# Kinds that name something inside a community, after the community's id.
_INNER = frozenset({Kind.INCIDENT, Kind.ORGANISATION, Kind.GRID, Kind.BUILDING})


@dataclass(frozen=True)
class Channel:
    kind: Kind
    # The community's id; for a street channel, the street's.
    scope: str
    name: str = ""

    def __str__(self) -> str:
        return (
            f"{self.kind.value}:{self.scope}:{self.name}" if self.name else f"{self.kind.value}:{self.scope}"
        )

    @classmethod
    def parse(cls, text: str) -> "Channel | None":
        """The channel ``text`` names, or None when it names none."""
        kind, _, rest = text.partition(":")
        if kind not in Kind.__members__.values():
            return None
        scope, _, name = rest.partition(":")
        inner = Kind(kind) in _INNER
        if not scope or inner != bool(name) or ":" in name:
            return None
        return cls(Kind(kind), scope, name)

    @property
    def community(self) -> str | None:
        """The key of the board the channel belongs to (a community's id, or the street pool's key)."""
        if self.kind is Kind.STREET:
            return None
        return street_key(self.scope.removeprefix(_POOL)) if self.scope.startswith(_POOL) else self.scope


def community(community_id: str) -> str:
    return str(Channel(Kind.COMMUNITY, community_id))


def incident(community_id: str, incident_id: str) -> str:
    return str(Channel(Kind.INCIDENT, community_id, incident_id))


def organisation(community_id: str, organisation_id: str) -> str:
    """An organisation's channel; ``community_id`` is its board's key (the street pool's too)."""
    scope = f"{_POOL}{street_of_key(community_id)}" if is_street_key(community_id) else community_id
    return str(Channel(Kind.ORGANISATION, scope, organisation_id))


def grid(community_id: str, grid_id: str) -> str:
    return str(Channel(Kind.GRID, community_id, grid_id))


def building(community_id: str, building_id: str) -> str:
    return str(Channel(Kind.BUILDING, community_id, building_id))


def appeals(community_id: str) -> str:
    return str(Channel(Kind.APPEALS, community_id))


def street(street_id: str) -> str:
    return str(Channel(Kind.STREET, street_id))
