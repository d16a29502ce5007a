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
    # Most dispatches are the very objects they were: compared by identity first, sorted only when changed.
    changed = [d for i, d in after.items() if (b := before.get(i)) is not d and b != d]
    removed = [d for i, d in before.items() if i not in after]
    return Step(event, _by_id(changed), _by_id(removed))


def _by_id(dispatches: list[Dispatch]) -> tuple[Dispatch, ...]:
    return tuple(sorted(dispatches, key=lambda d: d.id)) if len(dispatches) > 1 else tuple(dispatches)
