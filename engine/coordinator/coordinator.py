"""The coordinator: commands in, events out, re-plans and deadlines on an injected clock.

The live service and the drill runner drive the same code: the service with the wall clock and real
timers, a drill with simulated time that jumps from deadline to deadline. Nothing here reads the clock.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from engine.coordinator.board import Board
from engine.coordinator.commands import Command
from engine.coordinator.decide import decide
from engine.coordinator.events import Event, PlanProposed
from engine.coordinator.ports import MapLoader
from engine.coordinator.replan import auto_confirmations, replan, replan_due
from engine.coordinator.settings import CoordinatorSettings
from engine.coordinator.step import Step, apply
from engine.coordinator.timers import fire_escalations, fire_timeouts, next_deadline
from engine.governance.timers import fire_overdue
from engine.matching.memo import PlanMemo
from engine.travel import TravelCache

# Per community: 5 million reached nodes, about 40 MB, holds every search of a 20,000-node map's incident.
TRAVEL_CACHE_CELLS = 5_000_000


class Coordinator:
    """One community's coordinator. Every change goes through :meth:`handle` or :meth:`tick`."""

    def __init__(self, maps: MapLoader, settings: CoordinatorSettings | None = None) -> None:
        self.board = Board(maps)
        self.settings = settings or CoordinatorSettings()
        solve = self.settings.solve
        # Travel searches and plan parts are kept across this community's re-plans: one new need costs one
        # search, not all, and the plan's unchanged lines are not made again.
        self.params = (
            solve
            if solve.travel_cache is not None
            else replace(solve, travel_cache=TravelCache(TRAVEL_CACHE_CELLS), memo=PlanMemo())
        )
        # The last answer of :meth:`due` and the board's event count it was read at.
        self._due: tuple[int, datetime | None] | None = None

    @classmethod
    def replay(
        cls, events: Iterable[Event], maps: MapLoader, settings: CoordinatorSettings | None = None
    ) -> "Coordinator":
        """Rebuild from the event log: the fold of the same events is the same board, with no solving."""
        coordinator = cls(maps, settings)
        for event in events:
            coordinator.board.evolve(event)
        return coordinator

    def handle(self, command: Command, at: datetime, actor: str) -> list[Step]:
        """Check ``command`` (raising :class:`Rejected`) and apply the events it causes."""
        return [apply(self.board, event) for event in decide(self.board, command, at, actor)]

    def due(self) -> datetime | None:
        """The next moment :meth:`tick` has something to do (None: nothing is pending)."""
        # Read off the board alone, so it holds until the board takes another event (a drill asks before
        # every step it simulates).
        if self._due is not None and self._due[0] == self.board.events:
            return self._due[1]
        times = [
            t for t in (replan_due(self.board, self.settings), next_deadline(self.board)) if t is not None
        ]
        due = min(times, default=None)
        self._due = (self.board.events, due)
        return due

    def tick(self, now: datetime) -> list[Step]:
        """Do what is due by ``now``: time out silent organisations, re-plan, auto-confirm, escalate."""
        steps = self.expire(now)
        proposal = self.proposal(now)
        if proposal is not None:
            steps.extend(self.adopt(proposal))
        steps.extend(self.escalate(now))
        return steps

    # The parts of a tick, for a caller that solves off its main thread: ``proposal`` only reads the board.

    def expire(self, now: datetime) -> list[Step]:
        """Dispatches not acknowledged in time end, and their pairs are ruled out; overdue tasks are flagged."""
        events: list[Event] = [*fire_timeouts(self.board, now), *fire_overdue(self.board.ledger, now)]
        return [apply(self.board, e) for e in events]

    def proposal(self, now: datetime) -> PlanProposed | None:
        """The new plan, if one is due by ``now``; the board is not changed."""
        due = replan_due(self.board, self.settings)
        return replan(self.board, now, self.settings, self.params) if due is not None and due <= now else None

    def adopt(self, proposal: PlanProposed) -> list[Step]:
        """Take a plan from :meth:`proposal` (made on this same board) and confirm what the profile confirms."""
        steps = [apply(self.board, proposal)]
        steps.extend(apply(self.board, e) for e in auto_confirmations(self.board, proposal.at))
        return steps

    def escalate(self, now: datetime) -> list[Step]:
        """Needs still not covered past their escalation time go to the street."""
        return [apply(self.board, e) for e in fire_escalations(self.board, now)]
