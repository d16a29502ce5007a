"""Small hand-made problems: a street of named corners, readable in a test."""

from engine.matching import MatchingProblem, Pin, ProblemBuilder
from engine.model import Mode, Need, Organisation, OrganisationKind, Resource
from engine.rules import Profile
from engine.travel import RoadGraph

# a —60— b —60— c —600— d      (d is far; the b–c road can be closed)
STREET = RoadGraph.from_edges([("a", "b", 60), ("b", "c", 60), ("c", "d", 600)])


def org(
    id_: str, kind: str = "volunteer_team", community: str | None = "c1", recent: int = 0
) -> Organisation:
    return Organisation(id=id_, kind=OrganisationKind(kind), community=community, recent_dispatches=recent)


def need(id_: str, capability: str = "supply.water", **kw: object) -> Need:
    fields: dict[str, object] = {"quantity": 1, "location": "a", "priority": 3, **kw}
    return Need.model_validate({"id": id_, "capability": capability, **fields})


def resource(id_: str, capability: str = "supply.water", **kw: object) -> Resource:
    fields: dict[str, object] = {"organisation": "o1", "quantity": 1, "location": "b", **kw}
    return Resource.model_validate({"id": id_, "capability": capability, **fields})


def problem(
    needs: list[Need],
    resources: list[Resource],
    orgs: list[Organisation] | None = None,
    *,
    graph: RoadGraph = STREET,
    profile: Profile | None = None,
    mode: Mode = Mode.INCIDENT,
    pins: list[Pin] | None = None,
) -> MatchingProblem:
    return (
        ProblemBuilder(graph, mode=mode)
        .use_profile(profile, "c1")
        .add_needs(needs)
        .add_resources(resources)
        .add_organisations(orgs or [org("o1")])
        .pin(pins or [])
        .build()
    )
