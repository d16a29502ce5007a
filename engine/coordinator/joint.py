"""One plan for the communities of a street that share units: their open needs against their own units, the
street's pool and the units their neighbours lend, in one exact solve.

Communities planned together run the same rules (profile and mode) on the same map: that is a *group*. In
the usual case (one profile for the street, an incident) the whole street is one group. Groups are planned
in turn, those in an incident first, each with the units the groups before it left.

Whose units go where is the profiles' sharing rules (``Profile.sharing``): a unit a community does not lend
now serves its own needs only; with ``own_first`` only the units its own plan, made alone, leaves idle may go
elsewhere (the rest serve its own needs only). The street's own pool serves every community.

In the joint problem every id is qualified by its home (``home/id``, see :mod:`engine.coordinator.refs`);
the plan is split back per community, where its own ids are bare again.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from engine.coordinator.board import Board
from engine.coordinator.events import PlanProposed
from engine.coordinator.refs import SEPARATOR, home_of, qualify, seen_from, split
from engine.coordinator.replan import soon_free
from engine.matching import Pin, ProblemBuilder
from engine.matching.problem import MatchingProblem, SoonFree, soon_id
from engine.model.entities import Mode, Organisation, Resource
from engine.model.ids import Capability, NeedId, OrganisationId, ResourceId
from engine.model.plan import Assignment, Plan, Unmet
from engine.rules.facts import CompiledProfile
from engine.travel import RoadGraph

# The part of a resource a community may lend under ``own_first``: the units its own plan leaves idle. Ids
# people give never hold "+" (the API's id pattern), so the part's id cannot be taken for a resource's.
SPARE = "+"
# Held units, per (home, resource id).
Held = Counter[tuple[str, str]]
# Units a community's own plan, made alone, uses of each of its resources.
IslandUse = Callable[[Board], Mapping[ResourceId, int]]


GroupKey = tuple[bool, str, str]


def group_key(board: Board) -> GroupKey:
    """Boards with the same key are planned in one solve: incident groups sort first."""
    assert board.profile is not None and board.map is not None
    # Sharing rules say whose units are offered, not how needs are planned: they do not split a group.
    rules = board.profile.model_dump_json(exclude={"sharing"})
    return (board.mode is not Mode.INCIDENT, rules, board.map.model_dump_json())


def groups(boards: Iterable[Board], key: Callable[[Board], GroupKey] = group_key) -> list[list[Board]]:
    """The street's community boards, grouped for joint solves, in the order they are planned."""
    by_key: dict[GroupKey, list[Board]] = defaultdict(list)
    for board in boards:
        if board.profile is not None and not board.is_street:
            by_key[key(board)].append(board)
    return [sorted(by_key[k], key=lambda b: b.key) for k in sorted(by_key)]


def held_by(board: Board, plan: Plan | None = None) -> Held:
    """Units a board holds of each resource: its dispatches in play, or what ``plan`` (just made for it) holds."""
    held: Held = Counter()
    if plan is not None:
        for a in plan.assignments:
            if a.after is None:
                held[_home_id(a.resource, board.key)] += a.quantity
        return held
    for d in board.dispatches.values():
        if d.after is None:
            held[_home_id(d.resource, board.key)] += d.quantity
    return held


def _home_id(ref: str, board: str) -> tuple[str, str]:
    return home_of(ref, board), split(ref)[1]


@dataclass
class _Offer:
    """How a resource takes part in a group's problem: as a whole, or split in a home and a spare part."""

    home: str
    resource: Resource
    home_units: int  # the part for its own community's needs only (all of it when it does not lend)
    spare_units: int  # the part any community may use
    split: bool
    shared_by: str | None  # the sharing rule that lets the spare part go elsewhere

    def ids(self) -> tuple[ResourceId, ResourceId]:
        base = ResourceId(f"{self.home}{SEPARATOR}{self.resource.id}")
        return base, ResourceId(f"{base}{SPARE}") if self.split else base


@dataclass
class JointPlan:
    """One group's problem and how to read its plan back."""

    problem: MatchingProblem
    members: Sequence[Board]
    offers: Mapping[tuple[str, str], _Offer]
    lenders: Mapping[str, Board] = field(default_factory=dict)

    def split(self, plan: Plan, at: datetime) -> dict[str, PlanProposed]:
        """The plan as each member community sees it: its own needs, its own ids bare."""
        assignments: dict[str, list[Assignment]] = defaultdict(list)
        unmet: dict[str, list[Unmet]] = defaultdict(list)
        for a in plan.assignments:
            member, need = _parts(a.need)
            home, part_id = _parts(self.problem.real_id(a.resource))
            spare = part_id.endswith(SPARE)
            rid = part_id.removesuffix(SPARE)
            offer = self.offers[(home, rid)]
            shared_by = None if home == member else ("lend_spare" if spare else offer.shared_by)
            lender = self.lenders.get(home)
            approval = (
                not a.pinned
                and lender is not None
                and not lender.is_street
                and home != member
                and lender.profile is not None
                and lender.profile.sharing.street_approval
            )
            after = None
            if a.after is not None:
                job_home, job = _parts(a.after)
                after = NeedId(seen_from(member, job_home, job))
            assignments[member].append(
                a.model_copy(
                    update={
                        "need": need,
                        "resource": ResourceId(seen_from(member, home, rid)),
                        "after": after,
                        "owner": None if home == member else home,
                        "shared_by": shared_by,
                        "approval": approval,
                    }
                )
            )
        for u in plan.unmet:
            member, need = _parts(u.need)
            unmet[member].append(u.model_copy(update={"need": need}))
        proposals = {}
        for board in self.members:
            part = Plan(
                assignments=tuple(assignments[board.key]),
                unmet=tuple(unmet[board.key]),
                objective=plan.objective,
                solver=plan.solver,
            )
            # A plan is taken when something changed, and when a pair ruled out for a while may be planned
            # again (its lapse made the plan due: taking it moves the board past the lapse, as a
            # community's own re-plan does, even when the plan comes out the same).
            lapse = board.next_lapse()
            if (
                board.plan is None
                or board.dirty_since is not None
                or (lapse is not None and lapse <= at)
                or (board.plan.assignments, board.plan.unmet) != (part.assignments, part.unmet)
            ):
                proposals[board.key] = PlanProposed(
                    at=at,
                    version=board.plan_version + 1,
                    incident=board.incident.id if board.incident else None,
                    exercise=board.exercise,
                    plan=part,
                )
        return proposals


def _parts(ref: str) -> tuple[str, NeedId]:
    home, ident = split(ref)
    assert home is not None, ref
    return home, NeedId(ident)


def joint_problem(
    members: Sequence[Board],
    street: Sequence[Board],
    held_outside: Held,
    at: datetime,
    island_use: IslandUse,
    graph: RoadGraph,
    rules: CompiledProfile | None = None,
    held_at_home: Held | None = None,
) -> JointPlan:
    """The problem of one group (``members``) with every other board of the street (``street``: the other
    communities and the street's own board) as possible lenders. ``held_outside``: units held by boards not
    in the group (their dispatches, or the plans just made for them); ``held_at_home``: of those, the units a
    lender holds of its own resources (its own needs' use, which its plan made alone counts too)."""
    first = members[0]
    assert first.profile is not None and first.map is not None
    mode = first.mode
    island_use = _once(island_use)
    member_keys = {b.key for b in members}
    first_map = first.map
    pins = _pin_units(members, committed=True)
    previous = _pin_units(members, committed=False)
    pinned_home: Held = Counter()
    pinned_away: Held = Counter()
    for (need_home, _, _, home, rid, _), quantity in pins.items():
        (pinned_home if need_home == home else pinned_away)[(home, rid)] += quantity
    offers: dict[tuple[str, str], _Offer] = {}
    organisations: dict[tuple[str, OrganisationId], Organisation] = {}
    lenders: dict[str, Board] = {}
    for board in street:
        member = board.key in member_keys
        same_map = board.map == first_map
        used = _island_use(board, island_use) if not member and not board.is_street else {}
        for resource in board.resources.values():
            key = (board.key, resource.id)
            pinned = pinned_home[key] + pinned_away[key]
            free = max(resource.quantity - held_outside[key], pinned)
            offer = _offer(
                board,
                resource,
                free,
                member,
                same_map,
                mode,
                island_use,
                used,
                pinned_home[key],
                len(members) == 1,
                (held_at_home or Counter())[key],
                pinned_away[key],
            )
            if offer is None and pinned == 0:
                continue
            if offer is None:
                # Units pinned here by a person stay, though the sharing rules would not offer them now.
                offer = _Offer(board.key, resource, free, 0, False, None)
            offers[key] = offer
            organisations[(board.key, resource.organisation)] = board.organisations[resource.organisation]
            if offer.shared_by is not None or offer.split:
                lenders[board.key] = board
    resources, home_ids, org_ids = _resources(offers)
    recent = _recent(street)
    builder = (
        ProblemBuilder(graph, mode=mode)
        .at(at)
        .use_profile(first.profile, None)
        .add_needs(
            r.need.model_copy(update={"id": NeedId(f"{b.key}{SEPARATOR}{r.need.id}"), "community": b.key})
            for b in members
            for r in b.open_needs()
        )
        .add_resources(resources)
        .add_organisations(
            org.model_copy(
                update={
                    "id": org_ids[(home, org.id)],
                    "recent_dispatches": recent[(home, org.id)],
                }
            )
            for (home, _), org in sorted(organisations.items())
        )
        .keep_home(home_ids)
        .delay_away(_away(offers, street))
    )
    if rules is not None:
        builder.reuse_rules(rules)
    builder.pin(
        Pin(need=NeedId(f"{n}{SEPARATOR}{need}"), part=part, resource=_id(offers, n, h, r), quantity=q)
        for (n, need, part, h, r, _), q in sorted(pins.items(), key=str)
    )
    # A proposal for units after their job is kept under that offer while the job lasts, and under the
    # resource itself (as the community's own re-plans do).
    builder.keep(
        Pin(need=NeedId(f"{n}{SEPARATOR}{need}"), part=part, resource=resource, quantity=q)
        for (n, need, part, h, r, after), q in sorted(previous.items(), key=str)
        if (h, r) in offers
        for resource in (
            (soon_id(_id(offers, n, h, r), after), _id(offers, n, h, r))
            if after is not None
            else (_id(offers, n, h, r),)
        )
    )
    builder.exclude(
        {
            (NeedId(f"{b.key}{SEPARATOR}{need}"), rid): why
            for b in members
            for (need, ref), why in b.exclusions_at(at).items()
            if _home_id(ref, b.key) in offers
            for rid in set(offers[_home_id(ref, b.key)].ids())
        }
    )
    builder.add_soon(_soon(members, offers, at))
    return JointPlan(builder.build(), members, offers, lenders)


def _once(island_use: IslandUse) -> IslandUse:
    """``island_use`` asked once per board: ``_offer`` asks it for each of a member's resources, and each
    answer reads every board's dispatches (or solves)."""
    asked: dict[str, Mapping[ResourceId, int]] = {}

    def use(board: Board) -> Mapping[ResourceId, int]:
        if board.key not in asked:
            asked[board.key] = island_use(board)
        return asked[board.key]

    return use


def _island_use(board: Board, island_use: IslandUse) -> Mapping[ResourceId, int]:
    return island_use(board) if board.profile is not None and board.profile.sharing.own_first else {}


def _offer(
    board: Board,
    resource: Resource,
    free: int,
    member: bool,
    same_map: bool,
    mode: Mode,
    island_use: IslandUse,
    used: Mapping[ResourceId, int],
    pinned_home: int,
    alone: bool,
    at_home: int = 0,
    pinned_away: int = 0,
) -> _Offer | None:
    if not same_map:
        return None
    if board.is_street:
        return _Offer(board.key, resource, 0, free, False, "street_pool")
    sharing = board.profile.sharing if board.profile is not None else None
    lends = sharing is not None and sharing.lends(resource.capability, mode)
    if member:
        # Alone in its group, a community's units have no other community's needs to serve here.
        if not lends or alone:
            return _Offer(board.key, resource, free, 0, False, None)
        assert sharing is not None
        if not sharing.own_first:
            return _Offer(board.key, resource, 0, free, False, "lend")
        home = min(free, max(island_use(board).get(resource.id, 0), pinned_home))
        return _Offer(board.key, resource, home, free - home, True, "lend")
    if not lends:
        # Offered at home only, where it serves nothing here: the plan can say the unit is not lent.
        return _Offer(board.key, resource, free, 0, False, None)
    # A lender outside the group: ``free`` already leaves out the units it holds for its own needs, and its
    # own plan made alone counts those too; only what that plan uses beyond them stays home. Units it has
    # lent to the group and that are committed there (pins) are offered whatever its plan says.
    spare = min(free, max(pinned_away, free - max(0, used.get(resource.id, 0) - at_home)))
    return _Offer(
        board.key, resource, 0, spare, False, "lend_spare" if sharing and sharing.own_first else "lend"
    )


def _resources(
    offers: Mapping[tuple[str, str], _Offer],
) -> tuple[list[Resource], set[ResourceId], dict[tuple[str, str], OrganisationId]]:
    resources: list[Resource] = []
    home_ids: set[ResourceId] = set()
    org_ids: dict[tuple[str, str], OrganisationId] = {}
    for (home, _), offer in sorted(offers.items()):
        org = OrganisationId(f"{home}{SEPARATOR}{offer.resource.organisation}")
        org_ids[(home, offer.resource.organisation)] = org
        base, spare = offer.ids()
        whole = not offer.split
        if whole or offer.home_units > 0:
            units = offer.home_units + offer.spare_units if whole else offer.home_units
            resources.append(
                offer.resource.model_copy(update={"id": base, "organisation": org, "quantity": units})
            )
            if offer.shared_by is None:
                home_ids.add(base)
        if offer.split:
            home_ids.add(base)
            resources.append(
                offer.resource.model_copy(
                    update={"id": spare, "organisation": org, "quantity": offer.spare_units}
                )
            )
    # A split resource's home part is kept at home even with no units (its pins may still name it).
    return resources, {r.id for r in resources} & home_ids, org_ids


# A unit of another community (or of the street's pool) counts this many seconds later than one of the
# community's own: at equal arrival, a community's own units go first.
OWN_FIRST_TIE_S = 1


def _away(offers: Mapping[tuple[str, str], _Offer], street: Sequence[Board]) -> dict[ResourceId, int]:
    """Per offer that may serve another community: the seconds it sets off later for one (the street's
    approval, if its lender asks for it; else a tie-break)."""
    boards = {b.key: b for b in street}
    away: dict[ResourceId, int] = {}
    for (home, _), offer in offers.items():
        if offer.shared_by is None and not offer.split:
            continue
        lender = boards[home]
        sharing = lender.profile.sharing if lender.profile is not None and not lender.is_street else None
        waits = sharing.approval_s if sharing is not None and sharing.street_approval else 0
        away[offer.ids()[1]] = max(OWN_FIRST_TIE_S, waits)
    return away


def _id(offers: Mapping[tuple[str, str], _Offer], need_home: str, home: str, rid: str) -> ResourceId:
    base, spare = offers[(home, rid)].ids()
    return base if need_home == home or base == spare else spare


PinKey = tuple[str, NeedId, Capability | None, str, str, NeedId | None]


def _pin_units(members: Sequence[Board], *, committed: bool) -> dict[PinKey, int]:
    """Units per (board, need, part, home, resource id, job it waits for): committed dispatches (the plan's
    pins) or proposals (the previous plan, kept unless a change gains more than the switching cost)."""
    units: dict[PinKey, int] = defaultdict(int)
    for b in members:
        for d in b.dispatches.values():
            if d.committed is committed:
                home, rid = _home_id(d.resource, b.key)
                # A job on another community's board is named by its ref already (see JointPlan.split).
                after = NeedId(qualify(b.key, d.after)) if d.after is not None else None
                units[(b.key, d.need, d.part, home, rid, after)] += d.quantity
    return units


def _recent(street: Sequence[Board]) -> Counter[tuple[str, str]]:
    """Recent confirmed dispatches per organisation, counted over the whole street (rotation)."""
    counts: Counter[tuple[str, str]] = Counter()
    boards = {b.key: b for b in street}
    for b in street:
        for ref in b.recent:
            home, rid = _home_id(ref, b.key)
            owner = boards.get(home)
            resource = owner.resources.get(ResourceId(rid)) if owner is not None else None
            if resource is not None:
                counts[(home, resource.organisation)] += 1
    return counts


def _soon(members: Sequence[Board], offers: Mapping[tuple[str, str], _Offer], at: datetime) -> list[SoonFree]:
    units: list[SoonFree] = []
    for b in members:
        for u in soon_free(b, at):
            home, rid = _home_id(u.resource, b.key)
            if (home, rid) not in offers:
                continue
            units.append(
                u.model_copy(
                    update={
                        "resource": _id(offers, b.key, home, rid),
                        "job": NeedId(f"{b.key}{SEPARATOR}{u.job}"),
                    }
                )
            )
    return units
