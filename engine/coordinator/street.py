"""A street's coordinator: the coordinators of its communities and the street's own pool, planned together.

The street is the unit of coordination (a partition): one object sees every community of the street, so one
solve can send the street's pool and the units communities lend where they serve best. Commands stay per
community: each community's coordinator checks them against its own board (which looks up other
communities' units through the street). Re-plans are the street's, when it shares anything; a street that
shares nothing plans each community alone, exactly as a community on its own.
"""

import copy
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from engine.coordinator.board import Board
from engine.coordinator.commands import Command
from engine.coordinator.coordinator import TRAVEL_CACHE_CELLS, Coordinator
from engine.coordinator.events import PlanProposed
from engine.coordinator.fork import fork_coordinator
from engine.coordinator.joint import GroupKey, Held, group_key, groups, held_by, joint_problem
from engine.coordinator.refs import SEPARATOR, home_of, split
from engine.coordinator.replan import replan_due
from engine.coordinator.settings import CoordinatorSettings
from engine.coordinator.step import Step
from engine.matching import Pin, ProblemBuilder
from engine.matching.memo import PlanMemo
from engine.model.entities import Mode, Resource
from engine.model.ids import ResourceId, StreetId
from engine.model.plan import Plan
from engine.rules.facts import CompiledProfile
from engine.travel import RoadGraph, TravelCache


class Street:
    """One street's partition. Every change goes through a community's coordinator or :meth:`tick`."""

    def __init__(self, street: StreetId, settings: CoordinatorSettings | None = None) -> None:
        self.id = street
        self.settings = settings or CoordinatorSettings()
        self.coordinators: dict[str, Coordinator] = {}
        solve = self.settings.solve
        # The joint plans' travel searches and plan parts, kept across re-plans like a community's own.
        self.params = (
            solve
            if solve.travel_cache is not None
            else replace(solve, travel_cache=TravelCache(TRAVEL_CACHE_CELLS), memo=PlanMemo())
        )
        self._islands: dict[str, tuple[object, Mapping[ResourceId, int]]] = {}
        # Since when a change in one community may have changed what the others can use (None: planned since).
        # Not state: after a restart the street plans once (see :meth:`touch`).
        self._changed: datetime | None = None
        self._rules: dict[GroupKey, CompiledProfile] = {}
        # Each board's group key, kept while its profile, map and mode are the same objects: due() asks often.
        self._keys: dict[str, tuple[object, object, Mode, GroupKey]] = {}
        # The last answer of :meth:`due` and the state it was read from.
        self._due: tuple[object, datetime | None] | None = None

    # -- members -----------------------------------------------------------------------------------

    def add(self, key: str, coordinator: Coordinator) -> None:
        """Take a community's coordinator (or the street's own, under its street key) into the street."""
        coordinator.board.pool = self
        self.coordinators[key] = coordinator

    def remove(self, key: str) -> None:
        self.coordinators.pop(key, None)

    def handle(self, key: str, command: Command, at: datetime, actor: str) -> list[Step]:
        """A person's command for one community (or the street's own pool): its coordinator decides it."""
        steps = self.coordinators[key].handle(command, at, actor)
        if steps:
            self.touch(at)
        return steps

    def touch(self, at: datetime) -> None:
        """Something changed that the street's joint plans may depend on (any community's units or plans)."""
        if self._changed is None or at < self._changed:
            self._changed = at

    def fork(self) -> "Street":
        """A copy whose boards a solve reads in another thread while this street takes commands (see
        engine/coordinator/fork.py); its ``proposals`` are this street's as long as no board here changes.

        It shares the solve's caches (``params``, ``_islands``, ``_rules``, ``_keys``): a street runs one solve
        at a time, each entry is keyed by what it was made from (a board's events, profile and map, which the
        fork's boards share), so what a fork learns holds here and the next fork finds it. ``_changed`` is
        copied: only this street's ``adopt`` clears it, when the fork's plans are taken."""
        twin = copy.copy(self)
        twin.coordinators = {k: fork_coordinator(c, twin) for k, c in self.coordinators.items()}
        return twin

    def learn_from(self, fork: "Street") -> None:
        """Keep what a finished solve on ``fork`` compiled (each board's rule facts), once its plans were adopted
        on unchanged boards: the next fork starts from it instead of working every resource's facts out again
        (a fork's boards get their own copy, as a command and a solve would otherwise write one at once)."""
        for key, twin in fork.coordinators.items():
            mine = self.coordinators.get(key)
            if mine is not None and twin.board.profile is mine.board.profile:
                mine.board._rules = twin.board._rules

    def boards(self) -> list[Board]:
        return [c.board for _, c in sorted(self.coordinators.items()) if c.board.community is not None]

    # -- the Pool a board sees -----------------------------------------------------------------------

    def resource(self, ref: ResourceId) -> Resource | None:
        home, ident = split(ref)
        owner = self.coordinators.get(home) if home is not None else None
        return owner.board.resources.get(ResourceId(ident)) if owner is not None else None

    def committed(self, home: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for b in self.boards():
            for d in b.dispatches.values():
                if d.committed and home_of(d.resource, b.key) == home:
                    counts[split(d.resource)[1]] += d.quantity
        return counts

    # -- planning ------------------------------------------------------------------------------------

    def shares(self) -> bool:
        """Whether the street plans jointly: it has a pool of its own, a community lends, or units already
        serve another community than their own."""
        boards = self.boards()
        communities = sum(1 for b in boards if not b.is_street)
        for b in boards:
            if b.is_street and b.resources:
                return True
            if (
                communities > 1
                and not b.is_street
                and b.profile is not None
                and b.profile.sharing.lend != "never"
            ):
                return True
            if any(SEPARATOR in d.resource for d in b.dispatches.values()):
                return True
        return False

    def due(self) -> datetime | None:
        # Read off the boards and ``_changed`` alone: it holds until one of them changes.
        state = (tuple((k, c.board.events) for k, c in self.coordinators.items()), self._changed)
        if self._due is not None and self._due[0] == state:
            return self._due[1]
        times = [t for c in self.coordinators.values() if (t := c.due()) is not None]
        if self._changed is not None and self.shares():
            times.extend(
                t
                for group in groups(self.boards(), self._group_key)
                if (t := self._group_due(group)) is not None
            )
        due = min(times, default=None)
        self._due = (state, due)
        return due

    def _group_due(self, group: list[Board]) -> datetime | None:
        """When a group's plan is due: when one of its communities' is, or a short debounce after a change
        elsewhere in the street (in normal times not before its schedule)."""
        times = [t for b in group if (t := replan_due(b, self.settings)) is not None]
        if self._changed is not None:
            after = self._changed + timedelta(seconds=self.settings.debounce_s)
            if group[0].profile is not None and group[0].mode is Mode.NORMAL:
                every = timedelta(seconds=group[0].profile.dispatch.normal_match_every_s)
                last = [b.plan_at + every for b in group if b.plan_at is not None]
                after = max([after, *last]) if len(last) == len(group) else after
            times.append(after)
        return min(times, default=None)

    def tick(self, now: datetime) -> dict[str, list[Step]]:
        """Do what is due by ``now`` in every community: time-outs, the street's re-plans, escalations."""
        steps = self.expire(now)
        for key, more in self.adopt(self.proposals(now), now).items():
            steps.setdefault(key, []).extend(more)
        for key, more in self.escalate(now).items():
            steps.setdefault(key, []).extend(more)
        return steps

    def expire(self, now: datetime) -> dict[str, list[Step]]:
        return {k: s for k, c in sorted(self.coordinators.items()) if (s := c.expire(now))}

    def escalate(self, now: datetime) -> dict[str, list[Step]]:
        return {k: s for k, c in sorted(self.coordinators.items()) if (s := c.escalate(now))}

    def adopt(
        self, proposals: Mapping[str, PlanProposed], now: datetime | None = None
    ) -> dict[str, list[Step]]:
        """Take the plans of :meth:`proposals` made at ``now`` (made on these same boards)."""
        if now is not None and self._changed is not None and self._changed <= now:
            self._changed = None
        return {k: self.coordinators[k].adopt(p) for k, p in sorted(proposals.items())}

    def proposals(self, now: datetime) -> dict[str, PlanProposed]:
        """The plans due by ``now``, per community; no board is changed (a caller may solve off its thread)."""
        if not self.shares():
            return {k: p for k, c in sorted(self.coordinators.items()) if (p := c.proposal(now)) is not None}
        boards = self.boards()
        made: dict[str, Plan] = {}
        result: dict[str, PlanProposed] = {}
        elsewhere = _HeldElsewhere(boards)
        for group in groups(boards, self._group_key):
            due = self._group_due(group)
            if due is None or due > now:
                continue
            keys = {b.key for b in group}
            held: Held = Counter()
            at_home: Held = Counter()
            for b in boards:
                if b.key not in keys:
                    units = held_by(b, made.get(b.key))
                    held += units
                    at_home += Counter({k: q for k, q in units.items() if k[0] == b.key})
            joint = joint_problem(
                group,
                boards,
                held,
                now,
                lambda b: self._island_use(b, now, elsewhere(b.key)),
                self._graph(group),
                self._compiled(group),
                at_home,
            )
            plan = self.settings.solver.solve(joint.problem, self.params)
            parts = joint.split(plan, now)
            result.update(parts)
            made.update({k: p.plan for k, p in parts.items()})
        return result

    def _group_key(self, board: Board) -> GroupKey:
        known = self._keys.get(board.key)
        if (
            known is not None
            and known[0] is board.profile
            and known[1] is board.map
            and known[2] is board.mode
        ):
            return known[3]
        key = group_key(board)
        self._keys[board.key] = (board.profile, board.map, board.mode, key)
        return key

    def _compiled(self, group: list[Board]) -> CompiledProfile:
        key = self._group_key(group[0])
        rules = self._rules.get(key)
        if rules is None or rules.profile is not group[0].profile:
            rules = self._rules[key] = CompiledProfile(group[0].profile, group[0].mode)
        return rules

    def _graph(self, group: list[Board]) -> RoadGraph:
        """The group's roads: a road closed by any of its communities is closed for all (it is one map)."""
        if len(group) == 1:
            return group[0].graph
        closed = set().union(*(b.closed_roads for b in group))
        one_way = set().union(*(b.closed_one_way for b in group))
        reopened = set().union(*(b.reopened_roads for b in group)) - closed - one_way
        base = group[0].base_graph
        assert base is not None
        return (
            base.reopened(sorted(reopened))
            .with_closures(sorted(closed))
            .with_closures(sorted(one_way), one_way=True)
        )

    def _island_use(self, board: Board, at: datetime, elsewhere: Counter[str]) -> Mapping[ResourceId, int]:
        """Units of each of its resources a community's own plan, made alone, uses: what ``own_first`` keeps
        at home. Made again when its board or what others hold of its units (``elsewhere``) changes."""
        # The street's own proposals do not count (a plan proposed moves ``events`` and ``plan_version`` alike):
        # made again when its needs, units, pins or exclusions change, or what others hold of its units.
        key = (board.events - board.plan_version, tuple(sorted(elsewhere.items())))
        cached = self._islands.get(board.key)
        if cached is not None and cached[0] == key:
            return cached[1]
        used = _island_plan_use(board, at, elsewhere, self)
        self._islands[board.key] = (key, used)
        return used


class _HeldElsewhere:
    """Units of each community's resources that other boards hold, per resource id: counted in one pass over
    the street's dispatches, when a re-plan first asks (only ``own_first`` lenders do)."""

    def __init__(self, boards: list[Board]) -> None:
        self._boards = boards
        self._by_home: dict[str, Counter[str]] | None = None

    def __call__(self, home: str) -> Counter[str]:
        if self._by_home is None:
            self._by_home = defaultdict(Counter)
            for b in self._boards:
                for (owner, rid), q in held_by(b).items():
                    if owner != b.key:
                        self._by_home[owner][rid] += q
        return self._by_home.get(home, Counter())


def _island_plan_use(
    board: Board, at: datetime, elsewhere: Counter[str], street: Street
) -> Mapping[ResourceId, int]:
    own = [d for d in board.dispatches.values() if SEPARATOR not in d.resource and d.after is None]
    pinned: Counter[ResourceId] = Counter()
    for d in own:
        if d.committed:
            pinned[d.resource] += d.quantity
    if not board.open_needs():
        return dict(pinned)
    assert board.community is not None
    resources = [
        r.model_copy(update={"quantity": max(r.quantity - elsewhere[r.id], pinned[r.id])})
        for r in board.resources.values()
    ]
    problem = (
        ProblemBuilder(board.graph, mode=board.mode)
        .at(at)
        .use_profile(board.profile, board.community.id)
        .reuse_rules(board.rules)
        .add_needs(r.need for r in board.open_needs())
        .add_resources(resources)
        .add_organisations(board.organisations.values())
        .pin(
            Pin(need=d.need, part=d.part, resource=d.resource, quantity=d.quantity)
            for d in own
            if d.committed
        )
        .keep(
            Pin(need=d.need, part=d.part, resource=d.resource, quantity=d.quantity)
            for d in own
            if not d.committed
        )
        .exclude({p: why for p, why in board.exclusions_at(at).items() if SEPARATOR not in p[1]})
        .build()
    )
    plan = street.settings.solver.solve(problem, street.params)
    used: Counter[ResourceId] = Counter()
    for a in plan.assignments:
        if a.after is None:
            used[a.resource] += a.quantity
    return dict(used)
