"""Two cases of a street's joint plans found driving streets in drills: a pair ruled out for a while that may
be planned again (the street plans at that moment and moves on, even when the plan comes out the same), and
a lender planned in another group (what its own needs leave idle is lent, and units it has lent stay pinned
when its own needs take the rest)."""

from engine.coordinator import Advance, DispatchStatus, RegisterCommunity, RegisterOrganisation
from engine.model import Community, Organisation, OrganisationKind
from tests.coordinator.street_world import StreetWorld, now, profile
from tests.coordinator.world import MAP

EXCLUSION_S = 1800  # the default DispatchSettings.exclusion_s


def declined_street() -> StreetWorld:
    """a's life-safety need: the street's near boat declines, the far one goes and is kept."""
    w = StreetWorld()
    w.community("a")
    key = w.street_pool()
    w.unit(key, "near", "g0_1")
    w.unit(key, "far", "g3_3")
    w.incident("a", 1)
    w.need("a", "n1", 2)
    w.tick(100)
    [d] = w.board("a").dispatches.values()
    assert (d.resource, d.status) == ("street:s1/near", DispatchStatus.NOTIFIED)
    w.handle("a", Advance(dispatch=d.id, to=DispatchStatus.DECLINED, note="不去"), 110, "pool-org")
    w.tick(200)
    [d] = w.board("a").dispatches.values()
    assert (d.resource, d.status) == ("street:s1/far", DispatchStatus.NOTIFIED)
    w.handle("a", Advance(dispatch=d.id, to=DispatchStatus.ACKNOWLEDGED), 210, "pool-org")
    w.tick(300)
    return w


def test_a_lapse_that_changes_nothing_is_planned_once_and_the_street_moves_on() -> None:
    w = declined_street()
    lapse = w.board("a").next_lapse()
    assert lapse == now(110 + EXCLUSION_S)
    assert w.street.due() == lapse
    version = w.board("a").plan_version
    w.street.tick(lapse)
    # The far boat is on its way: the plan is the same, and it is taken at the lapse, so nothing is due then.
    assert w.board("a").plan_version == version + 1 and w.board("a").plan_at == lapse
    assert w.street.due() is None or w.street.due() > lapse
    assert [(d.resource, d.status) for d in w.board("a").dispatches.values()] == [
        ("street:s1/far", DispatchStatus.ACKNOWLEDGED)
    ]


# -- a lender planned in another group (its profile's rules differ) ------------------------------------


def other_rules(w: StreetWorld, key: str, sharing: str) -> None:
    """A community whose profile differs from the street's in more than sharing: planned in a group of its
    own, so it lends to the others' group as a lender outside it."""
    p = profile(sharing).model_copy(update={"name": "street_other", "title_zh": "另一套规则"})
    community = Community(id=key, street="s1", profile=p.name)
    w.handle(key, RegisterCommunity(community=community, profile=p, map=MAP), 0)
    organisation = Organisation(id=f"{key}-org", kind=OrganisationKind.VOLUNTEER_TEAM, community=key)
    w.handle(key, RegisterOrganisation(organisation=organisation), 0)


def lender_apart(sharing: str = "{lend: incident, own_first: true}") -> StreetWorld:
    """a (the street's rules) with no boat; b (other rules) with two boats; both in an incident."""
    w = StreetWorld()
    w.community("a")
    other_rules(w, "b", sharing)
    w.unit("b", "boat", "g3_3", quantity=2)
    w.incident("a", 1)
    w.incident("b", 1)
    return w


def confirm(w: StreetWorld, key: str, need: str, when: float) -> None:
    [d] = [d for d in w.board(key).dispatches.values() if d.need == need]
    w.handle(key, Advance(dispatch=d.id, to=DispatchStatus.CONFIRMED), when, "cadre")


def test_a_lender_in_another_group_lends_the_unit_its_own_need_leaves_idle() -> None:
    w = lender_apart()
    w.need("b", "own", 2, location="g3_2", priority=3)
    w.tick(100)
    confirm(w, "b", "own", 110)  # b's own need holds one boat, committed
    w.tick(200)
    w.need("a", "n1", 300, priority=5)
    w.tick(400)
    # Its own plan uses one boat (the one already sent): the other is idle, and a's life-safety need gets it.
    assert [(d[0], d[1]) for d in w.dispatches("a")] == [("n1", "b/boat")]
    assert w.assignment("a", "n1").shared_by == "lend_spare"
    assert [(d[0], d[1], d[2]) for d in w.dispatches("b")] == [("own", "boat", "notified")]


def test_units_lent_and_committed_stay_pinned_when_the_lender_uses_the_rest() -> None:
    w = lender_apart()
    w.need("a", "n1", 2, priority=5)
    w.tick(100)
    assert [(d[0], d[1], d[2]) for d in w.dispatches("a")] == [("n1", "b/boat", "notified")]
    [loan] = w.board("a").dispatches.values()
    w.handle("a", Advance(dispatch=loan.id, to=DispatchStatus.ACKNOWLEDGED), 110, "b-org")
    w.need("b", "own", 200, location="g3_2", priority=3)
    w.tick(300)
    confirm(w, "b", "own", 310)  # both boats are now committed: one lent, one at home
    w.tick(400)
    w.need("a", "n2", 500, location="g1_1", priority=4)
    w.tick(600)  # a's group plans again with b outside it: the loan is a pin, and it still fits
    assert ("n1", "b/boat", "acknowledged", None) in w.dispatches("a")
    assert any(a.pinned and a.need == "n1" for a in w.board("a").plan.assignments)
    assert [(d[0], d[1], d[2]) for d in w.dispatches("b")] == [("own", "boat", "notified")]
    assert w.unmet("a", "n2").reason is not None
