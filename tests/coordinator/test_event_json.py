"""Events survive the event log: written as JSON and read back, every event is equal to what was applied,
including profiles with conditions (``in`` is an alias) and maps with closed roads (``from``/``to``)."""

from pydantic import TypeAdapter

from api.profiles import bundled_names, find_profile
from engine.coordinator import Event, RegisterCommunity
from engine.matching.document import Travel
from engine.model import Community
from tests.coordinator.test_replay import _run
from tests.coordinator.world import Recorder, at, maps

EVENTS: TypeAdapter[Event] = TypeAdapter(Event)


def test_every_shipped_profile_and_a_map_with_closures_round_trip() -> None:
    spec = Travel.model_validate({"grid": {"rows": 3, "cols": 3}, "closed": [{"from": "g0_0", "to": "g0_1"}]})
    for name in bundled_names():
        c = Recorder()
        community = Community(id="c9", street="s9", profile=name)
        c.handle(RegisterCommunity(community=community, profile=find_profile(name), map=spec), at(0), "setup")
        [event] = c.log
        assert EVENTS.validate_json(event.model_dump_json(by_alias=True)) == event
    assert maps(spec).closures


def test_a_whole_run_round_trips() -> None:
    live = _run(
        [
            ("report", "g0_0", 5, 1),
            ("advance", 0, "confirmed"),
            ("road", ("g0_0", "g0_1")),
            ("incident", True),
        ],
        [1, 1, 1, 1],
    )
    for event in live.log:
        assert EVENTS.validate_json(event.model_dump_json(by_alias=True)) == event
