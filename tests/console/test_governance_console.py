"""Normal-time work in the console: the street issues a task with points, the community head splits it, a cadre
uploads what was done, the street scores it and the board (and its CSV) shows the points; during an incident,
grid workers and building captains check their vulnerable households and "needs help" reaches the cadre's
needs; all of it at phone width."""

import base64
import csv
import io
import re
import struct
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from api.auth import Role, create_token
from api.db.database import connect, default_url
from tests.api.server import Api, Server, wait_for
from tests.console.conftest import PHONE, Community, OpenPage, World, layout_problems, need_card

CHINA = ZoneInfo("Asia/Shanghai")
# A grid worker goes offline on the stairs, as a phone with the installed app does.
SERVICE_WORKERS = "allow"


def _png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (solid red), as a phone camera's photo stands in for in a test."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def staff(server: Server, role: Role, community: str, name: str) -> Api:
    """A cadre, grid worker or captain token whose name is their roster entry (Member.id)."""
    engine = connect(server.database_url or default_url(server.data_dir))
    try:
        token = create_token(engine, role=role, at=datetime.now(UTC), community=community, name=name)
    finally:
        engine.dispose()
    return Api(server, token)


@dataclass
class People:
    """One community's roster, with a token for each person the tests sign in as."""

    community: Community
    head: Api  # 王书记, the community head (a cadre token)
    cadre: Api  # 李干部
    grid: Api  # 赵网格, the grid worker of grid g1
    captain: Api  # 孙楼长, the captain of building b1


def roster(world: World, community: Community) -> People:
    """Grids g1 and g2; buildings b1, b2 (grid g1) and b3 (grid g2); head, cadre, grid worker, captain;
    vulnerable households h1 (b1), h2 (b2), h3 (b3) and one that is not (h4, b1)."""
    s, c = world.street, community.path
    s.ok("PUT", f"{c}/grids/g1", {"name": "一网格"})
    s.ok("PUT", f"{c}/grids/g2", {"name": "二网格"})
    for building, name, grid, place in (
        ("b1", "3栋", "g1", "g1_1"),
        ("b2", "5栋", "g1", "g2_2"),
        ("b3", "8栋", "g2", "g4_4"),
    ):
        s.ok("PUT", f"{c}/buildings/{building}", {"name": name, "grid": grid, "location": place})
    members = (
        ("head-wang", {"name": "王书记", "role": "head"}),
        ("cadre-li", {"name": "李干部", "role": "cadre"}),
        ("grid-zhao", {"name": "赵网格", "role": "grid_worker", "grid": "g1"}),
        ("captain-sun", {"name": "孙楼长", "role": "captain", "building": "b1"}),
    )
    for member, body in members:
        s.ok("PUT", f"{c}/members/{member}", body)
    households = (
        (
            "h1",
            {
                "building": "b1",
                "address": "1单元101",
                "tags": ["elderly_alone"],
                "contact": "王大爷",
                "phone": "13800001111",
            },
        ),
        (
            "h2",
            {
                "building": "b2",
                "address": "2单元202",
                "tags": ["disabled"],
                "people": 2,
                "phone": "13900002222",
            },
        ),
        ("h3", {"building": "b3", "address": "1单元301", "tags": ["bedridden"]}),
        ("h4", {"building": "b1", "address": "1单元102", "tags": []}),
    )
    for household, body in households:
        s.ok("PUT", f"{c}/households/{household}", body)
    server = world.server
    return People(
        community,
        head=staff(server, Role.CADRE, community.id, "head-wang"),
        cadre=staff(server, Role.CADRE, community.id, "cadre-li"),
        grid=staff(server, Role.GRID_WORKER, community.id, "grid-zhao"),
        captain=staff(server, Role.CAPTAIN, community.id, "captain-sun"),
    )


def _due_day() -> date:
    return datetime.now(CHINA).date() + timedelta(days=2)


def test_street_task_split_uploaded_scored_and_on_the_board(world: World, open_page: OpenPage) -> None:
    one = roster(world, world.community("task1", incident=False))
    world.community("task2", incident=False)
    due = _due_day()

    # The street issues one task to two communities, from the 任务 tab.
    street = open_page(world.street.token)
    street.get_by_test_id("tab-tasks").click()
    street.get_by_test_id("task-title").fill("入户走访独居老人")
    street.get_by_test_id("task-description").fill("每户走访并登记情况")
    street.get_by_test_id("task-due-date").fill(due.isoformat())
    street.get_by_test_id("task-due-time").fill("18:00")
    street.get_by_test_id("task-points").fill("20")
    expect(street.get_by_test_id("evidence-text")).to_have_attribute("aria-pressed", "true")
    street.get_by_test_id("evidence-number").click()
    street.get_by_test_id("evidence-photo").click()
    street.get_by_test_id("task-community-task1").check()
    street.get_by_test_id("task-community-task2").check()
    street.get_by_test_id("issue-task").click()
    expect(street.locator("#toast")).to_have_text("任务已发布")
    [task] = world.street.ok("GET", "/communities/task1/tasks")
    [other] = world.street.ok("GET", "/communities/task2/tasks")
    assert task["id"] == other["id"]
    assert (task["title"], task["points"], task["evidence"]) == (
        "入户走访独居老人",
        20,
        ["number", "photo", "text"],
    )
    due_at = datetime.fromisoformat(task["due_at"]).astimezone(CHINA)
    assert (due_at.date(), due_at.hour, due_at.minute) == (due, 18, 0)
    t = task["id"]
    for community in ("task1", "task2"):
        card = street.get_by_test_id(f"task-{community}-{t}")
        expect(card).to_contain_text("入户走访独居老人")
        expect(card).to_contain_text("社区还没有分解这项任务")
    expect(street.get_by_test_id(f"overdue-task1-{t}")).to_have_count(0)
    # The form is ready for the next task.
    expect(street.get_by_test_id("task-title")).to_have_value("")

    # The head splits it: 15 points to the cadre, 5 to the head; the points left are shown as they type.
    head = open_page(one.head.token)
    head.get_by_test_id("tab-tasks").click()
    head.get_by_test_id(f"split-task1-{t}").click()
    dialog = head.locator("#dialog")
    expect(dialog.get_by_test_id("split-left")).to_have_text("还剩 0 分")
    dialog.get_by_test_id("split-title-0").fill("走访3栋")
    dialog.get_by_test_id("split-assignee-0").select_option("cadre-li")
    dialog.get_by_test_id("split-add").click()
    dialog.get_by_test_id("split-title-1").fill("走访5栋")
    dialog.get_by_test_id("split-assignee-1").select_option("head-wang")
    dialog.get_by_test_id("split-points-1").fill("5")
    expect(dialog.get_by_test_id("split-left")).to_have_text("还剩 -5 分")
    dialog.get_by_test_id("split-save").click()
    expect(dialog.locator("#dialog-error")).to_have_text("各项分值加起来要等于 20 分")
    dialog.get_by_test_id("split-points-0").fill("15")
    expect(dialog.get_by_test_id("split-left")).to_have_text("还剩 0 分")
    dialog.get_by_test_id("split-save").click()
    expect(head.locator("#toast")).to_have_text("已分派")
    parts = one.head.ok("GET", f"/communities/task1/tasks/{t}")["parts"]
    assert [(p["id"], p["assignee"], p["points"], p["title"]) for p in parts] == [
        ("p1", "cadre-li", 15, "走访3栋"),
        ("p2", "head-wang", 5, "走访5栋"),
    ]
    expect(head.get_by_test_id(f"part-status-task1-{t}-p1")).to_have_text("待完成")
    # The street sees the split live.
    expect(street.get_by_test_id(f"part-status-task1-{t}-p1")).to_have_text("待完成")

    # The cadre uploads text, a number and a photo.
    cadre = open_page(one.cadre.token)
    cadre.get_by_test_id("tab-tasks").click()
    expect(cadre.get_by_test_id(f"mypart-status-task1-{t}-p1")).to_have_text("待完成")
    expect(cadre.get_by_test_id(f"upload-task1-{t}-p2")).to_have_count(0)  # the head's part is not theirs
    cadre.get_by_test_id(f"upload-task1-{t}-p1").click()
    dialog = cadre.locator("#dialog")
    dialog.get_by_test_id("upload-text").fill("3栋12户已全部走访")
    dialog.get_by_test_id("upload-send").click()
    expect(dialog.locator("#dialog-error")).to_have_text("请填写数字")  # nothing sent yet
    dialog.get_by_test_id("upload-number").fill("12")
    dialog.get_by_test_id("upload-photo").set_input_files(
        {"name": "visit.png", "mimeType": "image/png", "buffer": PNG}
    )
    expect(dialog.locator("#photo-preview")).to_be_visible()  # the photo chosen is shown
    dialog.get_by_test_id("upload-send").click()
    expect(cadre.locator("#toast")).to_have_text("已上传")
    expect(cadre.get_by_test_id(f"mypart-status-task1-{t}-p1")).to_have_text("待审核")
    part = one.cadre.ok("GET", f"/communities/task1/tasks/{t}")["parts"][0]
    assert (part["status"], part["evidence"]["text"], part["evidence"]["number"]) == (
        "submitted",
        "3栋12户已全部走访",
        12,
    )
    photo = one.cadre.get(f"/communities/task1/photos/{part['evidence']['photo']}")
    assert (photo.status_code, photo.content) == (200, PNG)

    # The street sees the evidence (the photo fetched with the token) and scores it 合格.
    expect(street.get_by_test_id(f"part-status-task1-{t}-p1")).to_have_text("待审核")
    evidence = street.get_by_test_id(f"evidence-task1-{t}-p1")
    expect(evidence).to_contain_text("3栋12户已全部走访")
    expect(evidence).to_contain_text("12")
    thumb = street.get_by_test_id(f"photo-task1-{t}-p1")
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))
    handle = thumb.element_handle()
    wait_for(lambda: handle.evaluate("el => el.complete && el.naturalWidth === 4"), timeout=5)
    street.get_by_test_id(f"accept-task1-{t}-p1").click()
    expect(street.get_by_test_id(f"part-status-task1-{t}-p1")).to_have_text("已评分 · 得 15 分")
    expect(street.get_by_test_id(f"accept-task1-{t}-p1")).to_have_count(0)
    expect(cadre.get_by_test_id(f"mypart-status-task1-{t}-p1")).to_have_text("已评分 · 得 15 分")

    # The board, over a period that takes in the due day, and its CSV.
    start = datetime.now(CHINA).date().replace(day=1)
    street.get_by_test_id("score-start").fill(start.isoformat())
    street.get_by_test_id("score-end").fill(due.isoformat())
    row = street.get_by_test_id("score-task1-cadre-li")
    expect(row).to_contain_text("李干部")
    expect(row).to_contain_text("15 / 15")
    expect(street.get_by_test_id("score-task1")).to_contain_text("15 / 20")
    expect(street.get_by_test_id("score-task2")).to_contain_text("0 / 20")
    with street.expect_download() as download:
        street.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename == f"pingzhan-scores-{start.isoformat()}-{due.isoformat()}.csv"
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("\ufeff社区")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    # The community and the member by their names (issue 15: no ids in a CSV).
    [mine] = [r for r in rows if r[:2] == ["task1社区", "李干部"]]
    assert float(mine[-1]) == 15


def test_checks_during_an_incident_reach_the_cadre_as_needs(world: World, open_page: OpenPage) -> None:
    c = world.community("chk", incident=False)
    people = roster(world, c)
    c.cadre.ok("POST", f"{c.path}/incidents", {"kind": "flood", "level": 2, "exercise": False})

    # The grid worker's list: only grid g1's vulnerable households (h1, h2), pending first, phones to call.
    grid = open_page(people.grid.token)
    expect(grid.get_by_test_id("tab-checklist")).to_contain_text("2")  # two to check
    grid.get_by_test_id("tab-checklist").click()
    cards = grid.locator('[data-testid="checks"] .card[data-household]')
    expect(cards).to_have_count(2)
    expect(grid.get_by_test_id("check-h1")).to_contain_text("3栋 1单元101")
    expect(grid.get_by_test_id("check-h1").locator(".tag")).to_have_text("独居老人")
    expect(grid.get_by_test_id("check-h1")).to_contain_text("王大爷")
    expect(grid.get_by_test_id("tel-h1")).to_have_attribute("href", "tel:13800001111")
    expect(grid.get_by_test_id("check-h2")).to_contain_text("5栋 2单元202")
    expect(grid.get_by_test_id("count-all-pending")).to_have_text("2")

    # Offline on the stairs: the report waits on the phone, with the moment it was made, and goes out once.
    grid.context.set_offline(True)
    grid.get_by_test_id("safe-h2").click()
    expect(grid.locator("#toast")).to_have_text("已保存，联网后自动发送")
    expect(grid.get_by_test_id("pending-h2")).to_be_visible()
    expect(grid.get_by_test_id("safe-h2")).to_have_count(0)
    tapped = datetime.now(UTC)
    time.sleep(1.2)
    grid.context.set_offline(False)
    expect(grid.get_by_test_id("result-h2")).to_have_text("平安")
    checks = c.cadre.ok("GET", f"{c.path}/checks")["checks"]
    [h2] = [x for x in checks if x["household"]["id"] == "h2"]
    assert h2["reported_by"] == "grid_worker:grid-zhao"
    assert abs((datetime.fromisoformat(h2["reported_at"]) - tapped).total_seconds()) < 1.0
    # Pending first: h1 now leads the list.
    expect(cards.first).to_have_attribute("data-household", "h1")
    grid.get_by_test_id("help-h1").click()
    dialog = grid.locator("#dialog")
    dialog.get_by_test_id("help-send").click()
    expect(dialog.locator("#dialog-error")).to_have_text("请选一种需要的帮助")
    dialog.get_by_test_id("help-cap-care.visit").click()
    dialog.get_by_test_id("help-note").fill("老人行动不便，需要有人上门")
    dialog.get_by_test_id("help-send").click()
    expect(grid.locator("#toast")).to_have_text("已上报，正在安排")
    expect(grid.get_by_test_id("result-h1")).to_have_text("需要帮助")
    expect(grid.get_by_test_id("count-all-pending")).to_have_text("0")

    # The cadre's needs: the new need, with the household's tags.
    need_id = f"{c.id}-h1-help1"
    need = c.cadre.ok("GET", f"{c.path}/needs/{need_id}")
    assert (need["capability"], need["tags"], need["location"]) == ("care.visit", ["elderly_alone"], "g1_1")
    cadre = open_page(c.cadre.token)
    card = need_card(cadre, need_id)
    expect(card).to_contain_text("上门探视")
    expect(card.locator(".tag")).to_have_text("独居老人")
    # And the community's checks by grid.
    cadre.get_by_test_id("tab-checks").click()
    expect(cadre.get_by_test_id("count-g1-needs_help")).to_have_text("1")
    expect(cadre.get_by_test_id("count-g1-safe")).to_have_text("1")
    expect(cadre.get_by_test_id("count-g2-pending")).to_have_text("1")
    expect(cadre.get_by_test_id("grid-g1")).to_contain_text("一网格")
    # A cadre sees names and phones masked.
    expect(cadre.get_by_test_id("check-h1")).to_contain_text("王**")
    expect(cadre.get_by_test_id("tel-h1")).to_have_count(0)

    # The captain of b1: only b1's vulnerable household, and no other tab.
    captain = open_page(people.captain.token)
    expect(captain.locator("#where")).to_contain_text("楼栋长")
    captain_cards = captain.locator('[data-testid="checks"] .card[data-household]')
    expect(captain_cards).to_have_count(1)
    expect(captain.get_by_test_id("check-h1")).to_have_attribute("data-result", "needs_help")
    expect(captain.get_by_test_id("tel-h1")).to_be_visible()
    expect(captain.locator("#tabs")).to_be_hidden()
    # Live: the grid worker's later report shows on the captain's screen.
    grid.get_by_test_id("absent-h1").click()
    expect(captain.get_by_test_id("check-h1")).to_have_attribute("data-result", "absent")


def test_task_and_check_views_fit_a_phone(world: World, open_page: OpenPage) -> None:
    c = world.community("narrow", incident=False)
    people = roster(world, c)
    due = datetime.now(CHINA).replace(microsecond=0) + timedelta(days=3)
    issued = world.street.ok(
        "POST",
        f"/streets/{world.street_id}/tasks",
        {
            "title": "防汛物资清点与台账更新（3栋、5栋、8栋及地下车库）",
            "description": "清点沙袋、水泵、雨衣 qingshui_flood_supplies_inventory_2024_building3_5_8_garage",
            "due_at": due.isoformat(),
            "points": 30,
            "evidence": ["text", "number", "photo"],
            "communities": [c.id],
        },
    )
    t = issued["id"]
    path = f"{c.path}/tasks/{t}"
    people.head.ok(
        "PUT",
        f"{path}/parts",
        {
            "parts": [
                {"title": "清点3栋", "assignee": "cadre-li", "points": 20},
                {"title": "清点8栋", "assignee": "grid-zhao", "points": 10},
            ]
        },
    )
    photo = {"content_type": "image/png", "data": base64.b64encode(PNG).decode()}
    people.cadre.ok(
        "POST", f"{path}/parts/p1/submission", {"text": "沙袋200袋 " * 20, "number": 200, "photo": photo}
    )
    c.cadre.ok("POST", f"{c.path}/incidents", {"kind": "flood", "level": 2, "exercise": False})

    street = open_page(world.street.token, viewport=PHONE)
    street.get_by_test_id("tab-tasks").click()
    expect(street.get_by_test_id(f"accept-{c.id}-{t}-p1")).to_be_visible()
    photo = street.get_by_test_id(f"photo-{c.id}-{t}-p1").element_handle()
    wait_for(lambda: photo.evaluate("el => el.complete && el.naturalWidth > 0"), timeout=30)
    expect(street.get_by_test_id(f"score-{c.id}")).to_be_visible()
    assert layout_problems(street, 360) == []
    street.get_by_test_id(f"partial-{c.id}-{t}-p1").click()
    expect(street.get_by_test_id("share-75")).to_be_visible()
    assert layout_problems(street, 360) == []
    street.get_by_test_id("share-75").click()
    street.get_by_test_id("review-send").click()
    expect(street.get_by_test_id(f"part-status-{c.id}-{t}-p1")).to_have_text("已评分 · 得 15 分")

    head = open_page(people.head.token, viewport=PHONE)
    head.get_by_test_id("tab-tasks").click()
    expect(head.get_by_test_id(f"task-{c.id}-{t}")).to_be_visible()
    assert layout_problems(head, 360) == []

    grid = open_page(people.grid.token, viewport=PHONE)
    for tab in ("checklist", "mytasks"):
        grid.get_by_test_id(f"tab-{tab}").click()
        expect(grid.locator("#view")).to_have_attribute("data-tab", tab)
        expect(grid.locator("#view .card").first).to_be_visible()
        assert layout_problems(grid, 360) == [], tab
    grid.get_by_test_id(f"upload-{c.id}-{t}-p2").click()
    expect(grid.get_by_test_id("upload-photo-pick")).to_be_visible()
    assert layout_problems(grid, 360) == []
    grid.keyboard.press("Escape")
    grid.get_by_test_id("tab-checklist").click()
    grid.get_by_test_id("help-h1").click()
    expect(grid.get_by_test_id("help-cap-care.visit")).to_be_visible()
    assert layout_problems(grid, 360) == []
    grid.keyboard.press("Escape")

    cadre = open_page(c.cadre.token, viewport=PHONE)
    cadre.get_by_test_id("tab-checks").click()
    expect(cadre.get_by_test_id("grid-g2")).to_be_visible()
    assert layout_problems(cadre, 360) == []

    captain = open_page(people.captain.token, viewport=PHONE)
    expect(captain.get_by_test_id("check-h1")).to_be_visible()
    assert layout_problems(captain, 360) == []
