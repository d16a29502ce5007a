"""Random small problems for property tests: a grid of streets, a few capabilities, pins and a previous plan."""

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from engine.matching import MatchingProblem, Pin, ProblemBuilder
from engine.matching.problem import SoonFree
from engine.model import (
    Need,
    Organisation,
    OrganisationKind,
    Resource,
    ResourceStatus,
    ServiceModes,
    TeamPart,
)
from engine.model.entities import Mode
from engine.travel import RoadGraph

CAPABILITIES = ("rescue.boat", "rescue.crew", "supply.water")
CERTS = ("water_rescue", "first_aid")
T0 = datetime(2026, 7, 21, 8, 0, tzinfo=UTC)


@st.composite
def problems(
    draw: st.DrawFn, *, teams: bool = False, pins: bool = True, previous: bool = True, soon: bool = False
) -> MatchingProblem:
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    graph = RoadGraph.grid(
        rows, cols, edge_s=draw(st.sampled_from([30, 60, 120])), jitter=0.4, seed=draw(st.integers(0, 9))
    )
    if draw(st.booleans()):
        graph = graph.with_closures([("g0_0", "g0_1")])
    node = st.sampled_from(graph.nodes)
    orgs = [Organisation(id=f"o{i}", kind=OrganisationKind.VOLUNTEER_TEAM) for i in range(3)]
    resources = [
        Resource(
            id=f"r{i}",
            organisation=draw(st.sampled_from([o.id for o in orgs])),
            capability=draw(st.sampled_from(CAPABILITIES)),
            quantity=draw(st.integers(0, 4)),
            location=draw(node),
            certifications=tuple(draw(st.sets(st.sampled_from(CERTS), max_size=2))),
            modes=draw(st.sampled_from(list(ServiceModes))),
            status=draw(st.sampled_from([ResourceStatus.AVAILABLE] * 4 + [ResourceStatus.OFFLINE])),
        )
        for i in range(draw(st.integers(1, 6)))
    ]
    needs = []
    for i in range(draw(st.integers(1, 6))):
        capability = draw(st.sampled_from(CAPABILITIES))
        team: tuple[TeamPart, ...] = ()
        if teams and capability == "rescue.boat" and draw(st.booleans()):
            team = (TeamPart(capability="rescue.crew", per_unit=draw(st.integers(1, 2))),)
        needs.append(
            Need(
                id=f"n{i}",
                capability=capability,
                quantity=draw(st.integers(1, 4)),
                location=draw(node),
                priority=draw(st.integers(1, 5)),
                requires=tuple(draw(st.sets(st.sampled_from(CERTS), max_size=1))),
                max_travel_s=draw(st.none() | st.sampled_from([60, 150, 300])),
                reported_at=T0 + timedelta(minutes=draw(st.integers(0, 30))),
                team=team,
                all_or_nothing=teams and draw(st.booleans()),
            )
        )
    builder = ProblemBuilder(graph, mode=draw(st.sampled_from(list(Mode))))
    # The plan is made some minutes after the first reports: needs have waited, some past their target.
    builder.at(T0 + timedelta(minutes=draw(st.integers(0, 60))))
    builder.add_needs(needs).add_resources(resources).add_organisations(orgs)
    if soon:
        # Units on a job elsewhere, free again within a quarter of an hour.
        busy = draw(st.lists(st.sampled_from(resources), max_size=2, unique_by=lambda r: r.id))
        builder.add_soon(
            SoonFree(
                resource=r.id,
                job=f"job{i}",
                quantity=draw(st.integers(1, 2)),
                location=draw(node),
                in_s=draw(st.integers(0, 900)),
            )
            for i, r in enumerate(busy)
        )
    if pins:
        builder.pin(_valid_pins(draw, needs, resources, limit=2))
    if previous:
        builder.keep(_valid_pins(draw, needs, resources, limit=4, fresh=True))
    return builder.build()


def _valid_pins(
    draw: st.DrawFn, needs: list[Need], resources: list[Resource], *, limit: int, fresh: bool = False
) -> list[Pin]:
    """Pins within every capacity: a cadre can only pin what exists."""
    left = {r.id: r.quantity for r in resources}
    open_ = {(n.id, None): n.quantity for n in needs}
    open_.update({(n.id, p.capability): n.quantity * p.per_unit for n in needs for p in n.team})
    chosen = []
    for _ in range(draw(st.integers(0, limit))):
        need = draw(st.sampled_from(needs))
        part = draw(st.sampled_from([None, *(p.capability for p in need.team)]))
        capability = part or need.capability
        matching = [r for r in resources if r.capability == capability and left[r.id] > 0]
        if not matching or open_[(need.id, part)] <= 0:
            continue
        resource = draw(st.sampled_from(matching))
        quantity = draw(st.integers(1, min(left[resource.id], open_[(need.id, part)])))
        if not fresh:
            left[resource.id] -= quantity
            open_[(need.id, part)] -= quantity
        chosen.append(Pin(need=need.id, resource=resource.id, quantity=quantity, part=part))
    return chosen
