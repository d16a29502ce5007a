"""The board carries each need's priority after the profile's rules: worked out when the need is reported or
updated, again when the profile or the mode changes, and the same when the board is rebuilt from its log."""

from engine.coordinator import (
    CancelNeed,
    ChangeProfile,
    CloseIncident,
    Coordinator,
    TriggerIncident,
    UpdateNeed,
)
from engine.coordinator.board import need_json, snapshot
from engine.rules import load_profile
from tests.coordinator.world import PROFILE, Recorder, at, community, maps, report

RULES = load_profile(
    """
name: priority_test
title_zh: 优先级测试
title_en: Priority test
dispatch:
  ack_timeout_s: 300
  escalate_after_s: 900
  normal_match_every_s: 600
rules:
  - name: elderly_alone_first
    kind: priority
    need:
      tags: {has: elderly_alone}
    adjust: 1
  - name: infants_first_in_incident
    kind: priority
    modes: [incident]
    need:
      tags: {has: infant}
    adjust: 1
""",
    "priority_test.yaml",
)


def priorities(c: Coordinator) -> dict[str, tuple[int, int]]:
    """(priority in force, priority reported) per need."""
    return {str(n): (r.priority, r.need.priority) for n, r in sorted(c.board.needs.items())}


def test_priority_follows_the_rules_the_mode_and_the_profile_and_survives_replay() -> None:
    c: Recorder = community(RULES)
    report(c, "old", 1, priority=3, tags=("elderly_alone",))
    report(c, "baby", 2, priority=2, tags=("infant",))
    report(c, "top", 3, priority=5, tags=("elderly_alone",))
    report(c, "gone", 4, priority=2, tags=("infant",))
    assert priorities(c) == {"baby": (2, 2), "gone": (2, 2), "old": (4, 3), "top": (5, 5)}
    assert c.board.needs["old"].priority_rules == ("elderly_alone_first",)
    assert c.board.needs["baby"].priority_rules == ()
    shown = need_json(c.board.needs["old"])
    assert (shown["priority"], shown["reported_priority"], shown["priority_rules"]) == (
        4,
        3,
        ["elderly_alone_first"],
    )

    # A closed need keeps the priority it had; open ones follow the incident-only rule.
    c.handle(CancelNeed(need="gone"), at(5), "cadre")
    c.handle(TriggerIncident(incident="i1", kind="flood", level=2), at(10), "cadre")
    assert priorities(c) == {"baby": (3, 2), "gone": (2, 2), "old": (4, 3), "top": (5, 5)}
    assert c.board.needs["baby"].priority_rules == ("infants_first_in_incident",)

    # An update is judged again: the tag gone, the rule no longer holds.
    old = c.board.needs["old"].need
    c.handle(UpdateNeed(need=old.model_copy(update={"tags": ()})), at(20), "cadre")
    assert priorities(c)["old"] == (3, 3)

    c.handle(ChangeProfile(profile=PROFILE), at(30), "street")
    assert priorities(c) == {"baby": (2, 2), "gone": (2, 2), "old": (3, 3), "top": (5, 5)}
    c.handle(ChangeProfile(profile=RULES), at(40), "street")
    assert priorities(c)["baby"] == (3, 2)
    c.handle(CloseIncident(), at(50), "cadre")
    assert priorities(c)["baby"] == (2, 2)
    report(c, "late", 60, priority=1, tags=("elderly_alone", "infant"))
    assert priorities(c)["late"] == (2, 1)

    rebuilt = Coordinator.replay(c.log, maps)
    assert priorities(rebuilt) == priorities(c)
    assert snapshot(rebuilt.board) == snapshot(c.board)


def test_auto_confirmation_goes_by_the_priority_in_force() -> None:
    # Only priority 5 is confirmed by itself; a 4 raised to 5 by a rule is too.
    profile = RULES.model_copy(
        update={"dispatch": RULES.dispatch.model_copy(update={"auto_confirm_priority": 5})}
    )
    c = community(profile)
    c.handle(TriggerIncident(incident="i1", kind="flood", level=2), at(1), "cadre")
    report(c, "raised", 2, priority=4, tags=("elderly_alone",))
    c.tick(at(3))
    [dispatch] = c.board.dispatches_of("raised")
    assert dispatch.committed and dispatch.confirmed_by == "system"
