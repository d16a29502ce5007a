"""One applied event and what it did to the dispatches: what the service publishes and a drill records."""

from dataclasses import dataclass

from engine.coordinator.board import Board, Dispatch
from engine.coordinator.events import Event


@dataclass(frozen=True)
class Step:
    event: Event
    # Dispatches created or changed by this event, and those it ended (withdrawn, declined, done with),
    # as they last were.
    changed: tuple[Dispatch, ...]
    removed: tuple[Dispatch, ...]


def apply(board: Board, event: Event) -> Step:
    before = dict(board.dispatches)
    board.evolve(event)
    after = board.dispatches
    changed = tuple(d for i, d in sorted(after.items()) if before.get(i) != d)
    removed = tuple(d for i, d in sorted(before.items()) if i not in after)
    return Step(event, changed, removed)
