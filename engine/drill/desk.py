"""The simulated street desk (街道值班) of a drill: what it sends by hand to a need escalated to the street.

The desk reads the boards as street staff see them: a unit of the street's own pool is free when no
dispatch in play anywhere in the street holds it (committed or proposed, so the desk does not take a unit
the plan has just given another need). It sends the nearest free units that can serve the need (the need's
capability or a team part's, the certifications it requires, in the need's mode, on an open road), as many
as the need still misses; the travel limits of the community's rules do not bind a person deciding by hand.
Deterministic: the same boards give the same choice.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engine.coordinator.board import Board, NeedRecord
from engine.coordinator.commands import Assign
from engine.coordinator.joint import Held, held_by
from engine.coordinator.refs import qualify
from engine.model.entities import ResourceStatus
from engine.model.ids import Capability, NodeId, ResourceId

# Travel seconds between two places on open roads (None: no open road).
Travel = Callable[[NodeId, NodeId], int | None]
NOTE = "街道值班派出 sent by the street desk"


@dataclass(frozen=True)
class _Wanted:
    part: Capability | None
    capability: Capability
    requires: frozenset[str]
    missing: int


def street_units(
    board: Board, record: NeedRecord, street: Board, boards: Iterable[Board], travel: Travel
) -> list[Assign]:
    """What the desk sends from the street's pool (``street``) to ``record``, a need of ``board``: one
    command per resource, nearest first, part by part; none when no free unit can serve."""
    need = record.need
    held: Held = Counter()
    for b in boards:
        held += held_by(b)
    excluded = {resource for (need_id, resource) in board.exclusions_at(None) if need_id == need.id}
    wanted = [
        _Wanted(None, need.capability, frozenset(need.requires), need.quantity),
        *(
            _Wanted(p.capability, p.capability, frozenset(p.requires), p.per_unit * need.quantity)
            for p in need.team
        ),
    ]
    commands: list[Assign] = []
    for want in wanted:
        missing = want.missing - board.committed_units(need.id, want.part)
        for ref, free in _nearest(street, board, want, need.location, held, excluded, travel):
            if missing <= 0:
                break
            units = min(free, missing)
            commands.append(Assign(need=need.id, resource=ref, quantity=units, part=want.part, note=NOTE))
            missing -= units
    return commands


def _nearest(
    street: Board,
    board: Board,
    want: _Wanted,
    place: NodeId,
    held: Held,
    excluded: set[ResourceId],
    travel: Travel,
) -> list[tuple[ResourceId, int]]:
    found: list[tuple[int, str, ResourceId, int]] = []
    for resource in street.resources.values():
        ref = ResourceId(qualify(street.key, resource.id))
        free = resource.quantity - held[(street.key, resource.id)]
        if (
            resource.capability != want.capability
            or resource.status is not ResourceStatus.AVAILABLE
            or not resource.modes.serves(board.mode)
            or not want.requires <= set(resource.certifications)
            or ref in excluded
            or free <= 0
        ):
            continue
        seconds = travel(resource.location, place)
        if seconds is not None:
            found.append((seconds, resource.id, ref, free))
    return [(ref, free) for _, _, ref, free in sorted(found, key=lambda f: f[:2])]
