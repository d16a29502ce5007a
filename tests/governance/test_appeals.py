"""Residents' appeals through the real coordinator: each rule where it refuses and where it lets through, the
story the resident reads, and a hypothesis run of random handling that keeps every appeal's state consistent
and replays to the same ledger."""

import contextlib
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.coordinator import Advance, CancelNeed, Coordinator, DispatchStatus, Rejected, TriggerIncident
from engine.coordinator.events import NeedReported
from engine.governance.appeals import AppealKind, AppealStatus, Handling, queue_key
from engine.governance.commands import (
    AssignAppeal,
    CompleteAppeal,
    IssueBuildingCodes,
    MergeAppeal,
    PlanAppeal,
    RateAppeal,
    ReplyAppeal,
    SubmitAppeal,
)
from engine.governance.events import AppealPlanned, AppealReceived
from engine.governance.ids import AppealId
from engine.model.priority import LIFE_SAFETY
from tests.coordinator.world import maps, run_until
from tests.governance.world import CADRE, CAPTAIN, WORKER, Recorder, appeal, hours, people

RESIDENT = "resident:b1"


def rejected(c: Recorder, command: object, when: datetime, field: str, actor: str = CADRE) -> Rejected:
    with pytest.raises(Rejected) as caught:
        c.handle(command, when, actor)  # type: ignore[arg-type]
    assert caught.value.field == field, caught.value
    return caught.value


def leak(c: Recorder, when: float = 1, building: str = "b1", note: str = "楼上漏水") -> AppealId:
    return appeal(c, building, AppealKind.REPAIR, note, hours(when), phone="13900001111")


# -- building links ---------------------------------------------------------------------------------------


def test_a_new_link_retires_the_old_one() -> None:
    c = people()
    c.handle(IssueBuildingCodes(codes=(("b1", "a" * 20),)), hours(1), CADRE)
    c.handle(IssueBuildingCodes(codes=(("b1", "b" * 20),)), hours(2), CADRE)
    ledger = c.board.ledger
    assert ledger.codes["b1"] == "b" * 20 and ledger.code_buildings == {"b" * 20: "b1"}
    assert ledger.retired_codes == {"a" * 20}


def test_a_link_for_an_unknown_building_or_used_before_is_refused() -> None:
    c = people()
    rejected(c, IssueBuildingCodes(codes=(("b9", "a" * 20),)), hours(1), "codes[0].building")
    c.handle(IssueBuildingCodes(codes=(("b1", "a" * 20),)), hours(1), CADRE)
    # Reused, even once retired: an old printed link must never open another building's page.
    rejected(c, IssueBuildingCodes(codes=(("b2", "a" * 20),)), hours(2), "codes[0].code")
    c.handle(IssueBuildingCodes(codes=(("b1", "b" * 20),)), hours(3), CADRE)
    rejected(c, IssueBuildingCodes(codes=(("b2", "a" * 20),)), hours(4), "codes[0].code")
    rejected(c, IssueBuildingCodes(codes=(("b2", "c" * 20), ("b1", "c" * 20))), hours(4), "codes[1].code")


# -- submitting -------------------------------------------------------------------------------------------


def test_an_appeal_is_numbered_and_told_back_with_its_receipt() -> None:
    c = people()
    first, second = leak(c), leak(c, 2)
    assert (first, second) == ("1", "2")
    record = c.board.ledger.appeals[first]
    assert record.status is AppealStatus.RECEIVED and record.contact_phone == "13900001111"
    assert [s.text for s in record.steps] == [f"已收到您的诉求，受理编号 {record.receipt}"]


def test_an_appeal_from_an_unknown_building_or_with_a_used_receipt_is_refused() -> None:
    c = people()
    base = SubmitAppeal.model_validate(
        {"appeal": {"id": "", "building": "b9", "kind": "help"}, "receipt": "ABCDEFGHJK"}
    )
    rejected(c, base, hours(1), "appeal.building", RESIDENT)
    fine = base.model_copy(update={"appeal": base.appeal.model_copy(update={"building": "b1"})})
    c.handle(fine, hours(1), RESIDENT)
    rejected(c, fine, hours(2), "receipt", RESIDENT)


def test_rescue_outside_an_incident_is_refused() -> None:
    c = people()
    with pytest.raises(Rejected) as caught:
        appeal(c, "b1", AppealKind.EMERGENCY, "被困", hours(1), rescue=True)
    assert caught.value.field == "appeal.rescue"
    assert c.board.ledger.appeals == {}


def test_rescue_in_an_incident_is_a_life_safety_need_at_once() -> None:
    c = people()
    c.handle(TriggerIncident(incident="i1", kind="flood", level=3), hours(1), CADRE)
    before = len(c.log)
    appeal(c, "b2", AppealKind.EMERGENCY, "老人被困二楼", hours(2), rescue=True, phone="13900002222")
    received, reported, planned = c.log[before:]
    assert isinstance(received, AppealReceived) and isinstance(planned, AppealPlanned)
    assert isinstance(reported, NeedReported)
    need = reported.need
    assert (need.capability, need.priority, need.location) == ("rescue.crew", LIFE_SAFETY, "g3_3")
    assert need.note == "2号楼 老人被困二楼" and reported.contact_phone == "13900002222"
    record = c.board.ledger.appeals[received.appeal.id]
    # Handled by the system at once: answered in time, and the resident reads that help is on its way.
    assert record.status is AppealStatus.HANDLING and record.responded_at == hours(2)
    assert record.need == need.id and c.board.needs[need.id].priority == LIFE_SAFETY


# -- handling ---------------------------------------------------------------------------------------------


def test_a_work_order_done_resolves_the_appeal_and_the_resident_may_rate_once() -> None:
    c = people()
    a = leak(c)
    rejected(c, CompleteAppeal(appeal=a), hours(2), "appeal", WORKER)  # not a work order yet
    rejected(c, RateAppeal(appeal=a, stars=5), hours(2), "appeal", RESIDENT)  # not done yet
    c.handle(AssignAppeal(appeal=a, member=WORKER, note="今天去"), hours(2), CADRE)
    record = c.board.ledger.appeals[a]
    assert (record.status, record.handling, record.assignee) == (
        AppealStatus.HANDLING,
        Handling.ORDER,
        WORKER,
    )
    assert record.responded_at == hours(2) and record.handled_by == CADRE
    c.handle(CompleteAppeal(appeal=a, note="换了水管"), hours(5), WORKER)
    record = c.board.ledger.appeals[a]
    assert record.status is AppealStatus.RESOLVED and record.resolved_at == hours(5) and record.rateable
    assert [s.text for s in record.steps][1:] == ["社区已派网格员处理", "已处理完毕：换了水管"]
    c.handle(RateAppeal(appeal=a, stars=4, comment="及时"), hours(6), RESIDENT)
    assert c.board.ledger.appeals[a].rating == 4 and not c.board.ledger.appeals[a].rateable
    rejected(c, RateAppeal(appeal=a, stars=5), hours(7), "appeal", RESIDENT)


def test_a_work_order_goes_to_staff_only() -> None:
    c = people()
    a = leak(c)
    rejected(c, AssignAppeal(appeal=a, member="nobody"), hours(2), "member")
    rejected(c, AssignAppeal(appeal=a, member=CAPTAIN), hours(2), "member")
    c.handle(AssignAppeal(appeal=a, member=CADRE), hours(2), CADRE)


def test_an_appeal_is_handled_once_but_a_reply_first_leaves_it_open() -> None:
    c = people()
    a = leak(c)
    c.handle(ReplyAppeal(appeal=a, text="收到，明天上门"), hours(2), CADRE)
    record = c.board.ledger.appeals[a]
    assert (record.status, record.handling, record.responded_at) == (
        AppealStatus.HANDLING,
        Handling.REPLY,
        hours(2),
    )
    c.handle(AssignAppeal(appeal=a, member=WORKER), hours(3), CADRE)
    # The first answer is the response; the work order does not move it.
    assert c.board.ledger.appeals[a].responded_at == hours(2)
    rejected(c, PlanAppeal(appeal=a, capability="supply.water"), hours(4), "appeal")
    rejected(c, MergeAppeal(appeal=a, into=leak(c, 4)), hours(4), "appeal")


def test_a_reply_may_settle_or_close_it() -> None:
    c = people()
    settled, closed = leak(c), leak(c, 2, "b2", "噪音")
    c.handle(ReplyAppeal(appeal=settled, text="已联系物业", resolved=True), hours(3), CADRE)
    c.handle(ReplyAppeal(appeal=closed, text="不属于社区职责", close=True), hours(3), CADRE)
    ledger = c.board.ledger
    assert ledger.appeals[settled].status is AppealStatus.RESOLVED
    assert ledger.appeals[closed].status is AppealStatus.CLOSED and ledger.appeals[closed].resolved_at is None
    assert ledger.appeals[closed].rateable
    rejected(c, ReplyAppeal(appeal=closed, text="again"), hours(4), "appeal")


def test_a_need_made_of_an_appeal_resolves_it_when_served() -> None:
    c = people()
    a = leak(c, 0.01)
    c.handle(PlanAppeal(appeal=a, capability="supply.water", priority=5), hours(0.02), CADRE)
    record = c.board.ledger.appeals[a]
    assert record.need == "c1-appeal1" and record.status is AppealStatus.HANDLING
    run_until(c, 120)
    [dispatch] = c.board.dispatches_of(record.need)
    if dispatch.status is DispatchStatus.PROPOSED:
        c.handle(Advance(dispatch=dispatch.id, to=DispatchStatus.CONFIRMED), hours(0.05), CADRE)
    for to in (DispatchStatus.EN_ROUTE, DispatchStatus.DONE):
        c.handle(Advance(dispatch=dispatch.id, to=to), hours(0.1), "organisation:o1")
    record = c.board.ledger.appeals[a]
    assert record.status is AppealStatus.RESOLVED and record.steps[-1].text == "救援或服务力量已处置完毕"


def test_a_need_made_of_an_appeal_cancelled_closes_it() -> None:
    c = people()
    a = leak(c)
    c.handle(PlanAppeal(appeal=a, capability="supply.water"), hours(2), CADRE)
    rejected(c, PlanAppeal(appeal=a, capability="supply.water"), hours(2), "appeal")
    c.handle(CancelNeed(need="c1-appeal1", reason="重复"), hours(3), CADRE)
    assert c.board.ledger.appeals[a].status is AppealStatus.CLOSED


def test_merged_appeals_follow_the_one_they_were_merged_into() -> None:
    c = people()
    first, second, third = leak(c), leak(c, 2, note="我家也漏水"), leak(c, 3, note="漏水")
    rejected(c, MergeAppeal(appeal=first, into=first), hours(4), "into")
    rejected(c, MergeAppeal(appeal=first, into="99"), hours(4), "into")
    c.handle(MergeAppeal(appeal=second, into=first), hours(4), CADRE)
    # One level only, and not the other way round once others follow it.
    rejected(c, MergeAppeal(appeal=third, into=second), hours(4), "into")
    rejected(c, MergeAppeal(appeal=first, into=third), hours(4), "appeal")
    assert c.board.ledger.appeals[second].status is AppealStatus.HANDLING
    c.handle(AssignAppeal(appeal=first, member=WORKER), hours(5), CADRE)
    c.handle(CompleteAppeal(appeal=first, note="修好了"), hours(6), WORKER)
    follower = c.board.ledger.appeals[second]
    assert follower.status is AppealStatus.RESOLVED and follower.resolved_at == hours(6)
    assert follower.steps[-1].text == "已处理完毕：修好了" and follower.done_note == ""
    # The third, merged into a finished one, is finished with it.
    c.handle(MergeAppeal(appeal=third, into=first), hours(7), CADRE)
    assert c.board.ledger.appeals[third].status is AppealStatus.RESOLVED


def test_the_queue_puts_rescue_then_urgency_then_the_longest_waiting_first() -> None:
    c = people()
    c.handle(TriggerIncident(incident="i1", kind="flood", level=3), hours(0), CADRE)
    normal = leak(c, 1)
    urgent = appeal(c, "b1", AppealKind.HELP, "", hours(2), urgency="urgent")  # type: ignore[arg-type]
    emergency = appeal(c, "b2", AppealKind.EMERGENCY, "", hours(3))
    older = appeal(c, "b2", AppealKind.HELP, "", hours(0.5), urgency="urgent")  # type: ignore[arg-type]
    rescue = appeal(c, "b2", AppealKind.EMERGENCY, "", hours(4), rescue=True)
    order = [r.appeal.id for r in sorted(c.board.ledger.appeals.values(), key=queue_key)]
    assert order == [rescue, emergency, older, urgent, normal]


# -- random handling: consistent states, same ledger on replay -------------------------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["submit", "plan", "order", "reply", "settle", "close", "merge", "done", "rate"]),
        st.integers(1, 6),
        st.integers(1, 6),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_handling_keeps_every_appeal_consistent_and_replays(
    actions: list[tuple[str, int, int]],
) -> None:
    c = people()
    for n, (action, i, j) in enumerate(actions):
        when = hours(1 + n / 10)
        a, b = AppealId(str(i)), AppealId(str(j))
        command = {
            "submit": SubmitAppeal.model_validate(
                {
                    "appeal": {"id": "", "building": f"b{1 + i % 2}", "kind": "repair", "note": "漏水"},
                    "receipt": f"{n + 1:A>10}".replace("1", "B").replace("0", "C"),
                }
            ),
            "plan": PlanAppeal(appeal=a, capability="supply.water"),
            "order": AssignAppeal(appeal=a, member=WORKER),
            "reply": ReplyAppeal(appeal=a, text="收到"),
            "settle": ReplyAppeal(appeal=a, text="好了", resolved=True),
            "close": ReplyAppeal(appeal=a, text="关闭", close=True),
            "merge": MergeAppeal(appeal=a, into=b),
            "done": CompleteAppeal(appeal=a),
            "rate": RateAppeal(appeal=a, stars=j % 5 + 1),
        }[action]
        with contextlib.suppress(Rejected):
            c.handle(command, when, CADRE)
    ledger = c.board.ledger
    for record in ledger.appeals.values():
        assert (record.resolved_at is not None) == (record.status is AppealStatus.RESOLVED)
        assert record.rating is None or not record.open
        assert (record.responded_at is None) == (record.handling is None)
        if record.merged_into is not None:
            primary = ledger.appeals[record.merged_into]
            assert primary.merged_into is None
            # A follower is done exactly when the one it follows is, in the same way.
            if not primary.open:
                assert record.status is primary.status
            else:
                assert record.open
        if record.handling is Handling.NEED:
            assert record.need is not None and ledger.appeal_of_need[record.need] == record.appeal.id
    rebuilt = Coordinator.replay(c.log, maps)
    assert rebuilt.board.ledger == ledger
