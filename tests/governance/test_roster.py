"""People and places: the roster refers only to grids and buildings the community knows, buildings stand on
the community's map, households live in known buildings."""

import pytest
from pydantic import ValidationError

from engine.governance.commands import (
    RemoveHousehold,
    SaveBuilding,
    SaveHousehold,
    SaveMember,
)
from engine.governance.events import BuildingSaved, HouseholdRemoved, HouseholdSaved, MemberSaved
from engine.governance.people import Building, Member, MemberRole, Vulnerability
from tests.governance.world import events, household, people, rejected


def test_member_with_unknown_grid_is_not_found() -> None:
    c = people()
    member = Member(id="gw9", name="钱网格", role=MemberRole.GRID_WORKER, grid="grid9")
    refusal = rejected(c, SaveMember(member=member))
    assert (refusal.kind, refusal.field) == ("not_found", "member.grid")


def test_member_with_known_grid_is_saved() -> None:
    c = people()
    member = Member(id="gw2", name="钱网格", role=MemberRole.GRID_WORKER, grid="grid2")
    [event] = events(c, SaveMember(member=member))
    assert isinstance(event, MemberSaved)
    assert c.board.ledger.members["gw2"] == member


def test_member_with_unknown_building_is_not_found() -> None:
    c = people()
    member = Member(id="cap9", name="孙楼长", role=MemberRole.CAPTAIN, building="b9")
    refusal = rejected(c, SaveMember(member=member))
    assert (refusal.kind, refusal.field) == ("not_found", "member.building")


def test_member_with_known_building_is_saved() -> None:
    c = people()
    member = Member(id="cap2", name="孙楼长", role=MemberRole.CAPTAIN, building="b2")
    events(c, SaveMember(member=member))
    assert c.board.ledger.captains("b2") == [member]


def test_grid_worker_needs_a_grid() -> None:
    with pytest.raises(ValidationError, match="grid: a grid worker needs"):
        Member(id="gw9", name="钱网格", role=MemberRole.GRID_WORKER)


def test_grid_worker_with_a_grid_is_valid() -> None:
    assert Member(id="gw9", name="钱网格", role=MemberRole.GRID_WORKER, grid="grid1").grid == "grid1"


def test_captain_needs_a_building() -> None:
    with pytest.raises(ValidationError, match="building: a building captain needs"):
        Member(id="cap9", name="孙楼长", role=MemberRole.CAPTAIN)


def test_captain_with_a_building_is_valid() -> None:
    assert Member(id="cap9", name="孙楼长", role=MemberRole.CAPTAIN, building="b1").building == "b1"


def test_cadre_needs_neither_grid_nor_building() -> None:
    member = Member(id="c9", name="周干部", role=MemberRole.CADRE)
    assert (member.grid, member.building) == (None, None)


def test_building_with_unknown_grid_is_not_found() -> None:
    c = people()
    building = Building(id="b3", name="3号楼", grid="grid9", location="g1_1")
    refusal = rejected(c, SaveBuilding(building=building))
    assert (refusal.kind, refusal.field) == ("not_found", "building.grid")


def test_building_off_the_map_is_invalid() -> None:
    c = people()
    building = Building(id="b3", name="3号楼", grid="grid1", location="g9_9")
    refusal = rejected(c, SaveBuilding(building=building))
    assert (refusal.kind, refusal.field) == ("invalid", "building.location")


def test_building_on_the_map_in_a_known_grid_is_saved() -> None:
    c = people()
    building = Building(id="b3", name="3号楼", grid="grid1", location="g1_1")
    [event] = events(c, SaveBuilding(building=building))
    assert isinstance(event, BuildingSaved)
    assert c.board.ledger.buildings["b3"] == building


def test_household_in_unknown_building_is_not_found() -> None:
    c = people()
    refusal = rejected(c, SaveHousehold(household=household("h9", "b9", Vulnerability.BEDRIDDEN)))
    assert (refusal.kind, refusal.field) == ("not_found", "household.building")


def test_household_in_known_building_is_saved_with_its_grid() -> None:
    c = people()
    h = household("h9", "b2", Vulnerability.PREGNANT, Vulnerability.BEDRIDDEN, Vulnerability.PREGNANT)
    [event] = events(c, SaveHousehold(household=h))
    assert isinstance(event, HouseholdSaved)
    saved = c.board.ledger.households["h9"]
    # Tags are kept sorted and once each.
    assert saved.tags == (Vulnerability.BEDRIDDEN, Vulnerability.PREGNANT)
    assert c.board.ledger.grid_of(saved) == "grid2"


def test_removing_unknown_household_is_not_found() -> None:
    c = people()
    refusal = rejected(c, RemoveHousehold(household="h9"))
    assert (refusal.kind, refusal.field) == ("not_found", "household")


def test_removing_known_household_forgets_it() -> None:
    c = people()
    [event] = events(c, RemoveHousehold(household="h2"))
    assert isinstance(event, HouseholdRemoved)
    assert "h2" not in c.board.ledger.households
    # Removed once: a second removal names nothing.
    assert rejected(c, RemoveHousehold(household="h2")).kind == "not_found"
