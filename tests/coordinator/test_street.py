"""The street's joint plans: each sharing rule where it fires and where it does not, the street's pool,
approvals and escalation answers, and the invariants over random streets."""

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.coordinator import Advance, CloseIncident, Coordinator, DispatchStatus, Rejected, SaveResource
from engine.coordinator.board import snapshot
from engine.coordinator.commands import AnswerEscalation, Approve, Assign
from engine.coordinator.events import EscalationAnswer
from engine.coordinator.refs import home_of, split
from engine.model.ids import NeedId, ResourceId
from engine.model.plan import UnmetReason
from tests.coordinator.street_world import StreetWorld
from tests.coordinator.world import maps

LENDS = "{lend: incident}"


def street(a: str = "{}", b: str = LENDS) -> StreetWorld:
    """a (in an incident) with no boat; b with a boat at the far corner."""
    w = StreetWorld()
    w.community("a", a)
    w.community("b", b)
    w.unit("b", "boat", "g3_3")
    return w


# -- the street's own pool ---------------------------------------------------------------------------


def test_the_street_pool_serves_a_community() -> None:
    w = StreetWorld()
    w.community("a")
    key = w.street_pool()
    w.unit(key, "sboat", "g3_3")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    a = w.assignment("a", "n1")
    assert (a.resource, a.owner, a.shared_by, a.approval) == (
        "street:s1/sboat",
        "street:s1",
        "street_pool",
        False,
    )
    # Life-safety is confirmed by the profile at once, the street's unit as any other.
    assert w.dispatches("a") == [("n1", "street:s1/sboat", "notified", None)]


def test_a_community_alone_has_no_street_pool() -> None:
    w = StreetWorld()
    w.community("a")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    assert w.unmet("a", "n1").reason is UnmetReason.NO_CAPABILITY


ROTATION = "[{name: rotate, kind: preference, prefer: rotation, penalty_s: 900, modes: [normal]}]"


def test_in_normal_times_the_street_pool_rotates_across_organisations() -> None:
    """Everyday needs on the normal-time schedule: the street's two volunteer teams take turns, counted over
    the whole street (a team asked by one community counts for the next)."""
    w = StreetWorld()
    w.community("a", rules=ROTATION)
    w.community("b", rules=ROTATION)
    pool = w.street_pool(("team1", "team2"))
    w.unit(pool, "near", "g0_1", "care.visit", organisation="team1")
    w.unit(pool, "far", "g0_3", "care.visit", organisation="team2")
    sent = []
    for i, key in enumerate(["a", "b", "a", "b"]):
        start = 1000 * (i + 1)
        w.need(key, f"{key}{i}", start, location="g0_0", priority=2, capability="care.visit")
        w.tick(start + 700)  # the normal-time schedule (every 600 s)
        [d] = [d for d in w.board(key).dispatches.values() if d.need == f"{key}{i}"]
        sent.append(d.resource)
        w.handle(key, Advance(dispatch=d.id, to=DispatchStatus.CONFIRMED), start + 710, "cadre")
        w.handle(key, Advance(dispatch=d.id, to=DispatchStatus.EN_ROUTE), start + 720, "team")
        w.handle(key, Advance(dispatch=d.id, to=DispatchStatus.DONE), start + 730, "team")
    # Without rotation the near team would go every time.
    assert sent == ["street:s1/near", "street:s1/far", "street:s1/near", "street:s1/far"]


def test_without_rotation_the_nearest_team_goes_every_time() -> None:
    w = StreetWorld()
    w.community("a")
    pool = w.street_pool(("team1", "team2"))
    w.unit(pool, "near", "g0_1", "care.visit", organisation="team1")
    w.unit(pool, "far", "g0_3", "care.visit", organisation="team2")
    for i in range(2):
        start = 1000 * (i + 1)
        w.need("a", f"a{i}", start, location="g0_0", priority=2, capability="care.visit")
        w.tick(start + 700)
        [d] = [d for d in w.board("a").dispatches.values() if d.need == f"a{i}"]
        assert d.resource == "street:s1/near"
        w.handle("a", Advance(dispatch=d.id, to=DispatchStatus.CONFIRMED), start + 710, "cadre")
        w.handle("a", Advance(dispatch=d.id, to=DispatchStatus.EN_ROUTE), start + 720, "team")
        w.handle("a", Advance(dispatch=d.id, to=DispatchStatus.DONE), start + 730, "team")


# -- lend: never / incident / always ------------------------------------------------------------------


def test_a_community_that_never_lends_keeps_its_units() -> None:
    w = street(b="{lend: never}")
    w.street_pool()  # the street shares (its pool), so b's boat is in the plan, at home only
    w.unit("street:s1", "tent", "g0_0", capability="shelter.tent")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    assert w.unmet("a", "n1").reason is UnmetReason.NOT_LENT
    assert w.dispatches("a") == []


def test_lending_in_an_incident_only() -> None:
    w = street(b="{lend: incident}")
    w.need("a", "n1", 2, priority=3)
    w.tick(1000)
    # a is in normal times: b does not lend for everyday needs.
    assert w.dispatches("a") == []
    w.incident("a", 1000)
    w.tick(1100)
    assert [d[1] for d in w.dispatches("a")] == ["b/boat"]
    assert w.assignment("a", "n1").shared_by == "lend_spare"


def test_lending_in_normal_times_too() -> None:
    w = street(b="{lend: always, own_first: false}")
    w.need("a", "n1", 2, priority=3)
    w.tick(1000)
    a = w.assignment("a", "n1")
    assert (a.resource, a.owner, a.shared_by) == ("b/boat", "b", "lend")


# -- own_first -----------------------------------------------------------------------------------------


def both_in_need(sharing: str, boats: int = 1) -> StreetWorld:
    """Both communities in an incident: b needs a boat (priority 3), a needs one for life-safety."""
    w = street(b=sharing)
    if boats > 1:
        w.unit("b", "boat", "g3_3", quantity=boats)
    w.incident("a", 1)
    w.incident("b", 1)
    w.need("b", "own", 2, location="g3_2", priority=3)
    w.need("a", "n1", 3, priority=5)
    w.tick(100)
    return w


def test_own_first_keeps_a_unit_its_own_need_uses() -> None:
    w = both_in_need("{lend: incident, own_first: true}")
    # b's own (lower) need keeps b's only boat; a's life-safety need is not b's to take.
    assert w.dispatches("b") == [("own", "boat", "proposed", None)]
    assert w.dispatches("a") == []


def test_without_own_first_the_street_sends_the_unit_where_it_serves_most() -> None:
    w = both_in_need("{lend: incident, own_first: false}")
    assert [d[1] for d in w.dispatches("a")] == ["b/boat"]
    assert w.dispatches("b") == []


def test_own_first_lends_what_its_own_plan_leaves_idle() -> None:
    w = both_in_need("{lend: incident, own_first: true}", boats=2)
    assert [d[1] for d in w.dispatches("a")] == ["b/boat"]
    assert [d[1] for d in w.dispatches("b")] == ["boat"]


# -- never_lend ----------------------------------------------------------------------------------------


def test_never_lend_keeps_a_capability_at_home() -> None:
    w = street(b="{lend: incident, never_lend: [rescue.]}")
    w.unit("b", "water", "g3_3", capability="supply.water")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.need("a", "n2", 2, capability="supply.water", priority=3)
    w.tick(100)
    assert [(d[0], d[1]) for d in w.dispatches("a")] == [("n2", "b/water")]
    assert w.unmet("a", "n1").reason is UnmetReason.NOT_LENT


# -- street_approval -----------------------------------------------------------------------------------


def test_a_loan_waits_for_the_street_approval() -> None:
    w = street(b="{lend: incident, street_approval: true}")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    # Life-safety, yet not confirmed by the profile: the street approves loans.
    [(_, resource, status, approval)] = w.dispatches("a")
    assert (resource, status, approval) == ("b/boat", "proposed", "approval")
    [d] = w.board("a").dispatches.values()
    with pytest.raises(Rejected, match="须街道批准"):
        w.handle("a", Advance(dispatch=d.id, to=DispatchStatus.CONFIRMED), 110, "cadre")
    w.handle("a", Approve(dispatch=d.id, note="同意"), 120, "street:s1")
    assert w.dispatches("a") == [("n1", "b/boat", "notified", "approval")]


def test_without_approval_a_loan_goes_as_any_proposal() -> None:
    w = street(b="{lend: incident, street_approval: false}")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    assert w.dispatches("a") == [("n1", "b/boat", "notified", None)]
    [d] = w.board("a").dispatches.values()
    with pytest.raises(Rejected, match="does not wait"):
        w.handle("a", Approve(dispatch=d.id), 110, "street:s1")


# -- escalations ---------------------------------------------------------------------------------------


def test_an_escalation_is_answered_by_assigning_from_the_pool() -> None:
    w = StreetWorld()
    w.community("a")
    key = w.street_pool()
    w.unit(key, "crew", "g3_3", capability="rescue.crew")
    w.incident("a", 1)
    w.need("a", "n1", 2)  # a boat: nobody has one
    w.tick(1000)  # past escalate_after_s
    assert w.board("a").needs[NeedId("n1")].escalated
    with pytest.raises(Rejected, match=r"offers 'rescue\.crew'"):
        w.handle(
            "a", Assign(need=NeedId("n1"), resource=ResourceId("street:s1/crew"), quantity=1), 1010, "st"
        )
    w.unit(key, "sboat", "g3_3")
    w.handle("a", Assign(need=NeedId("n1"), resource=ResourceId("street:s1/sboat"), quantity=1), 1020, "st")
    record = w.board("a").needs[NeedId("n1")]
    assert [x.answer for x in record.answers] == [EscalationAnswer.ASSIGNED]
    assert ("n1", "street:s1/sboat", "notified", None) in w.dispatches("a")
    # Kept as a pin: the next plan keeps it.
    w.tick(1100)
    assert any(a.pinned and a.resource == "street:s1/sboat" for a in w.board("a").plan.assignments)


def test_answers_need_an_escalation_and_say_why() -> None:
    w = StreetWorld()
    w.community("a")
    w.community("b")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    ask = AnswerEscalation(need=NeedId("n1"), answer=EscalationAnswer.ASKED, community="b")
    with pytest.raises(Rejected, match="not been escalated"):
        w.handle("a", ask, 10, "st")
    w.tick(1000)
    with pytest.raises(Rejected, match="say why"):
        w.handle("a", AnswerEscalation(need=NeedId("n1"), answer=EscalationAnswer.NO_HELP), 1001, "st")
    with pytest.raises(Rejected, match="another community"):
        w.handle("a", ask.model_copy(update={"community": "a"}), 1002, "st")
    w.handle("a", ask, 1003, "st")
    w.handle(
        "a", AnswerEscalation(need=NeedId("n1"), answer=EscalationAnswer.NO_HELP, note="无船"), 1004, "st"
    )
    answers = w.board("a").needs[NeedId("n1")].answers
    assert [(x.answer, x.community, x.note) for x in answers] == [
        (EscalationAnswer.ASKED, "b", ""),
        (EscalationAnswer.NO_HELP, None, "无船"),
    ]


# -- the log rebuilds the street -----------------------------------------------------------------------


def test_replaying_each_community_log_rebuilds_its_board() -> None:
    w = street(b="{lend: incident, street_approval: true}")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    [d] = w.board("a").dispatches.values()
    w.handle("a", Approve(dispatch=d.id), 120, "street:s1")
    w.tick(2000)
    for key, log in w.logs.items():
        assert snapshot(Coordinator.replay(log, maps).board) == snapshot(w.board(key))


# -- invariants over random streets ------------------------------------------------------------------

SHARINGS = st.sampled_from(
    [
        "{}",
        "{lend: incident}",
        "{lend: always}",
        "{lend: incident, own_first: false}",
        "{lend: always, own_first: false, never_lend: [rescue.]}",
        "{lend: incident, street_approval: true}",
    ]
)
NODES = [f"g{r}_{c}" for r in range(4) for c in range(4)]
CAPS = ["rescue.boat", "supply.water"]


@st.composite
def random_street(draw: st.DrawFn) -> tuple[StreetWorld, dict[str, str]]:
    w = StreetWorld()
    sharing = {k: draw(SHARINGS) for k in ("a", "b", "c")}
    for key, rule in sharing.items():
        w.community(key, rule)
    if draw(st.booleans()):
        pool = w.street_pool()
        for i in range(draw(st.integers(0, 2))):
            w.unit(
                pool,
                f"s{i}",
                draw(st.sampled_from(NODES)),
                draw(st.sampled_from(CAPS)),
                draw(st.integers(1, 2)),
            )
    for key in sharing:
        for i in range(draw(st.integers(0, 2))):
            w.unit(
                key,
                f"{key}r{i}",
                draw(st.sampled_from(NODES)),
                draw(st.sampled_from(CAPS)),
                draw(st.integers(1, 2)),
            )
        if draw(st.booleans()):
            w.incident(key, 1)
    for n in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(sorted(sharing)))
        w.need(
            key,
            f"{key}n{n}",
            2 + n,
            draw(st.sampled_from(NODES)),
            draw(st.integers(1, 5)),
            draw(st.sampled_from(CAPS)),
        )
    return w, sharing


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_street())
def test_no_unit_over_committed_or_lent_against_the_rules(case: tuple[StreetWorld, dict[str, str]]) -> None:
    w, sharing = case
    w.tick(3000)
    boards = {b.key: b for b in w.street.boards()}
    held: Counter[tuple[str, str]] = Counter()
    for b in boards.values():
        for d in b.dispatches.values():
            if d.after is None:
                home, rid = home_of(d.resource, b.key), split(d.resource)[1]
                held[(home, rid)] += d.quantity
                owner = boards[home]
                resource = owner.resources[ResourceId(rid)]
                if home != b.key and not owner.is_street:
                    # A loan only where the lender's rules allow it, in the mode of the community asking.
                    assert owner.profile is not None
                    assert owner.profile.sharing.lends(resource.capability, b.mode), (sharing, d)
                    assert d.approval == owner.profile.sharing.street_approval
    for (home, rid), units in held.items():
        assert units <= boards[home].resources[ResourceId(rid)].quantity


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_same_street_plans_the_same(data: st.DataObject) -> None:
    seed = data.draw(st.integers(0, 10**6))
    # Two identical worlds give byte-identical boards.
    first, second = StreetWorld(), StreetWorld()
    for w in (first, second):
        w.community("a", "{lend: incident}")
        w.community("b", "{lend: always, own_first: false}")
        w.unit("b", "boat", "g3_3", quantity=2)
        w.unit("a", "water", "g0_3", capability="supply.water", quantity=3)
        w.incident("a", 1)
        for n in range(4):
            w.need("a" if n % 2 else "b", f"n{n}", 2 + n, NODES[(seed + 5 * n) % 16], 1 + (seed + n) % 5)
        w.tick(2000)
    assert {k: snapshot(first.board(k)) for k in ("a", "b")} == {
        k: snapshot(second.board(k)) for k in ("a", "b")
    }


def test_a_lender_cannot_take_back_units_committed_elsewhere() -> None:
    w = street(b="{lend: incident}")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    assert w.dispatches("a") == [("n1", "b/boat", "notified", None)]
    resource = w.board("b").resources[ResourceId("boat")]
    with pytest.raises(Rejected, match="already dispatched"):
        w.handle("b", SaveResource(resource=resource.model_copy(update={"quantity": 0})), 110, "cadre")


# -- a community's own units first at equal arrival; a loan counts the street's approval ----------------


@pytest.mark.parametrize(
    ("sharing", "goes"),
    [
        # Equally near: the community's own boat goes.
        ("{lend: always, own_first: false}", "boat"),
        # The neighbour's is 3 minutes nearer but waits about 5 for the street's approval: still its own.
        ("{lend: always, own_first: false, street_approval: true, approval_s: 300}", "boat"),
        # Approved at once, it is nearer: the neighbour's goes.
        ("{lend: always, own_first: false, street_approval: true, approval_s: 0}", "b/near"),
    ],
)
def test_own_units_first_and_a_loan_counts_its_approval(sharing: str, goes: str) -> None:
    w = StreetWorld()
    w.community("a")
    w.community("b", sharing)
    w.unit("a", "boat", "g0_2" if goes == "boat" and "approval" not in sharing else "g2_2")
    w.unit("b", "near", "g0_2" if "approval" not in sharing else "g0_1")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    assert w.assignment("a", "n1").resource == goes


def test_a_loan_proposed_in_an_incident_goes_when_the_incident_closes() -> None:
    w = street(b="{lend: incident}")
    w.incident("a", 1)
    w.need("a", "n1", 2, priority=3)
    w.tick(100)
    assert w.dispatches("a") == [("n1", "b/boat", "proposed", None)]
    w.handle("a", CloseIncident(), 200, "cadre")
    # b lends in incidents only: the proposal goes with the incident, before any plan.
    assert w.dispatches("a") == []
