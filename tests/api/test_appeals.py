"""Residents' appeals over HTTP on a real server: a rescue is planned at once, rate limits answer 429, likely
duplicates are grouped, phones are seen only by those who handle them, bad input gets a clear answer, and a
restart keeps everything. Each resident speaks from a loopback address of its own, as phones would."""

import asyncio
import base64
import io
import itertools
import random
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import HTTPException
from PIL import Image

from api.appeal_limits import AppealLimits
from api.appeal_windows import AppealRates
from api.auth import Role
from tests.api.server import Api, Server, api_for, build_world, wait_for
from tests.api.wsclient import Client

PROFILE = """
name: appeals_test
title_zh: 居民诉求测试
title_en: Appeals test profile
dispatch:
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 3600
appeals:
  rescue_capability: rescue.boat
  hotline: "010-12345"
  response_min: {emergency: 10, repair: 60, help: 240, dispute: 240}
"""
PHONE = "13912345678"
# Two appeals a minute per building link and four per address, so that a few requests show each limit.
LIMITS = ["--appeals-per-building", "3/minute", "--appeals-per-address", "4/minute"]
ADDRESSES = (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count(10))


class Resident:
    """One phone: its own client address, sending what the building's page sends."""

    def __init__(self, server: Server) -> None:
        transport = httpx.HTTPTransport(local_address=next(ADDRESSES))
        self.client = httpx.Client(base_url=server.url + "/api/v1/public", transport=transport, timeout=30)

    def send(self, code: str, key: str | None = None, **body: Any) -> httpx.Response:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post(f"/buildings/{code}/appeals", json=body, headers=headers)

    def appeal(self, code: str, **body: Any) -> dict[str, Any]:
        sent = self.send(code, **body)
        assert sent.status_code == 201, sent.text
        answer: dict[str, Any] = sent.json()
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("appeals")), extra=LIMITS).start()
    build_world(s)
    (s.data_dir / "profiles" / "appeals_test.yaml").write_text(PROFILE, encoding="utf-8")
    street = Api(s, s.token(Role.STREET, street="s1"))
    for c in ("c1", "c2"):
        street.ok("PUT", f"/communities/{c}/profile", {"profile": "appeals_test"})
        for grid in ("g1", "g2"):
            street.ok("PUT", f"/communities/{c}/grids/{grid}", {"name": grid})
        for n, (grid, node) in enumerate((("g1", "g1_1"), ("g1", "g1_2"), ("g2", "g3_3"), ("g2", "g4_4")), 1):
            body = {"name": f"{n}号楼", "grid": grid, "location": node}
            street.ok("PUT", f"/communities/{c}/buildings/b{n}", body)
        street.ok(
            "PUT",
            f"/communities/{c}/members/grid_worker-test",
            {"name": "王网格", "role": "grid_worker", "grid": "g1"},
        )
        street.ok(
            "PUT",
            f"/communities/{c}/members/other-worker",
            {"name": "李网格", "role": "grid_worker", "grid": "g2"},
        )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cadre(server: Server) -> Api:
    return api_for(server, Role.CADRE)


@pytest.fixture(scope="module")
def street(server: Server) -> Api:
    return Api(server, server.token(Role.STREET, street="s1"))


def codes(cadre: Api, community: str = "c1") -> dict[str, str]:
    """Every building's link code (made for those without one)."""
    made = cadre.ok("POST", f"/communities/{community}/codes", {})["codes"]
    return {c["building"]: c["link"].rsplit("/r/", 1)[1] for c in made}


def queue(cadre: Api, state: str = "open", community: str = "c1") -> dict[str, Any]:
    answer: dict[str, Any] = cadre.ok("GET", f"/communities/{community}/appeals?state={state}")
    return answer


def by_receipt(cadre: Api, receipt: str, community: str = "c1") -> dict[str, Any]:
    return next(a for a in queue(cadre, "all", community)["appeals"] if a["receipt"] == receipt)


# -- a rescue in incident mode ------------------------------------------------------------------------------


def test_a_rescue_becomes_a_need_planned_at_once(server: Server, cadre: Api) -> None:
    page = Resident(server)
    code = codes(cadre)["b3"]
    refused = page.send(code, kind="emergency", rescue=True)
    assert refused.status_code == 422 and refused.json()["field"] == "appeal.rescue", refused.text
    incident = cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 3})
    try:
        shown = page.client.get(f"/buildings/{code}").json()
        assert shown["incident"] == {"kind": "flood", "level": 3} and shown["hotline"] == "010-12345"
        sent = page.appeal(code, kind="help", rescue=True, note="老人被困", phone=PHONE)
        assert sent["kind"] == "emergency" and sent["status"] == "handling"
        appeal = by_receipt(cadre, sent["receipt"])
        need = appeal["need"]
        assert need == f"c1-appeal{appeal['id']}"
        # Normal-time matching is an hour away in this profile: only incident mode's debounce plans it.
        [dispatch] = wait_for(
            lambda: [d for d in cadre.ok("GET", "/communities/c1/assignments") if d["need"] == need]
        )
        assert dispatch["resource"].startswith("c1-boat")
        reported = cadre.ok("GET", f"/communities/c1/needs/{need}")
        assert reported["priority"] == 5 and reported["contact_phone"] == PHONE
    finally:
        cadre.ok("POST", f"/communities/c1/incidents/{incident['id']}/close")


# -- rate limits --------------------------------------------------------------------------------------------


def test_rate_limits_answer_429_per_building_and_per_address(server: Server, street: Api) -> None:
    links = codes(street, "c2")
    # Per building: three from three phones, the fourth refused whoever sends it.
    for _ in range(3):
        Resident(server).appeal(links["b1"], kind="help", note="路灯坏了")
    refused = Resident(server).send(links["b1"], kind="help")
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1 and "稍后再试" in refused.json()["detail"]
    # Per address: one phone, four buildings' links, the fifth appeal refused.
    phone = Resident(server)
    for building in ("b2", "b3", "b4"):
        phone.appeal(links[building], kind="repair")
    phone.appeal(links["b2"], kind="repair")
    assert phone.send(links["b3"], kind="repair").status_code == 429
    # A refused appeal was never written: the queue holds exactly the accepted seven.
    assert len(queue(street, "all", "c2")["appeals"]) == 7


def test_a_retry_with_the_same_key_is_one_appeal(server: Server, cadre: Api) -> None:
    page = Resident(server)
    code = codes(cadre)["b4"]
    first = page.send(code, key="same-key", kind="repair", note="重试")
    again = page.send(code, key="same-key", kind="repair", note="重试")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    conflict = page.send(code, key="same-key", kind="repair", note="别的")
    assert conflict.status_code == 422 and conflict.json()["field"] == "Idempotency-Key", conflict.text
    assert sum(a["note"] == "重试" for a in queue(cadre, "all")["appeals"]) == 1


# -- the queue ----------------------------------------------------------------------------------------------


def test_likely_duplicates_are_grouped_and_merged_follow(server: Server, cadre: Api) -> None:
    code = codes(cadre)["b2"]
    first = Resident(server).appeal(code, kind="repair", note="楼上漏水，天花板滴水", phone=PHONE)
    second = Resident(server).appeal(code, kind="repair", note="我家也漏水了")
    other = Resident(server).appeal(code, kind="repair", note="电梯坏了")
    ids = {r["receipt"]: by_receipt(cadre, r["receipt"])["id"] for r in (first, second, other)}
    groups = queue(cadre)["groups"]
    assert [ids[first["receipt"]], ids[second["receipt"]]] in groups
    assert not any(ids[other["receipt"]] in g for g in groups)
    path = f"/communities/c1/appeals/{ids[second['receipt']]}"
    merged = cadre.ok("POST", f"{path}/merge", {"into": ids[first["receipt"]]})
    assert merged["merged_into"] == ids[first["receipt"]] and merged["handling"] == "merge"
    cadre.ok(
        "POST",
        f"/communities/c1/appeals/{ids[first['receipt']]}/reply",
        {"text": "物业已修", "resolved": True},
    )
    follower = Resident(server).client.get(f"/appeals/{second['receipt']}").json()
    assert follower["status"] == "resolved" and follower["status_zh"] == "已解决" and follower["can_rate"]
    assert [s["text"] for s in follower["steps"]][-2:] == [
        "您反映的问题与同楼栋的相同问题合并办理",
        "社区回复：物业已修",
    ]
    # The resident's page tells no other resident's appeal: not its note, not its receipt.
    assert first["receipt"] not in str(follower) and "天花板" not in str(follower)


def test_phones_are_seen_by_those_who_handle_them(server: Server, cadre: Api) -> None:
    code = codes(cadre)["b1"]
    sent = Resident(server).appeal(code, kind="repair", note="水管爆了", phone=PHONE)
    appeal = by_receipt(cadre, sent["receipt"])
    assert appeal["contact_phone"] == PHONE and "phone" not in str(sent).lower()
    path = f"/communities/c1/appeals/{appeal['id']}"
    worker = api_for(server, Role.GRID_WORKER, grid="g1")
    other = Api(server, server.token(Role.GRID_WORKER, community="c1", name="other-worker", grid="g2"))
    assert worker.get(path).status_code == 404
    cadre.ok("POST", f"{path}/order", {"member": "grid_worker-test", "note": "尽快"})
    assert worker.ok("GET", path)["contact_phone"] == PHONE
    assert [a["id"] for a in worker.ok("GET", "/communities/c1/appeals")["appeals"]] == [appeal["id"]]
    assert other.get(path).status_code == 404 and other.ok("GET", "/communities/c1/appeals")["appeals"] == []
    for role in (Role.OBSERVER, Role.CAPTAIN, Role.ORGANISATION):
        assert api_for(server, role).get("/communities/c1/appeals").status_code == 403
    done = worker.ok("POST", f"{path}/done", {"note": "已关阀换管"})
    assert done["status"] == "resolved"
    # At rest the phone is sealed (api/pii.py): the database file holds no number in clear.
    with sqlite3.connect(server.data_dir / "pingzhan.db") as db:
        stored = [row[0] for row in db.execute("SELECT data FROM event WHERE type = 'appeal_received'")]
    assert stored and not any(PHONE in text for text in stored)


def test_the_cadres_channel_carries_each_appeal_with_its_phone_masked(server: Server, cadre: Api) -> None:
    async def run() -> list[dict[str, Any]]:
        client = await Client(server.ws_url, cadre.token).open()
        await client.subscribe("appeals:c1")
        await client.next()  # the snapshot
        Resident(server).appeal(codes(cadre)["b4"], kind="dispute", note="装修噪音", phone=PHONE)
        message = await client.next()
        await client.close()
        return [message]

    [message] = asyncio.run(run())
    assert message["type"] == "appeal_received"
    appeal = message["data"]["appeal"]
    assert appeal["note"] == "装修噪音" and appeal["contact_phone"] == "139****5678"


# -- bad input ----------------------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_answer_and_writes_nothing(server: Server, cadre: Api) -> None:
    page = Resident(server)
    code = codes(cadre)["b1"]
    before = len(queue(cadre, "all")["appeals"])
    wrong_kind = page.send(code, kind="party")
    assert wrong_kind.status_code == 422 and wrong_kind.json()["field"] == "kind"
    bad_phone = page.send(code, kind="help", phone="call me")
    assert bad_phone.status_code == 422 and bad_phone.json()["field"] == "phone"
    big = io.BytesIO()
    # Noise does not compress: just over the 2 MB a resident's photo may be, well inside the body's limit.
    Image.frombytes("RGB", (840, 840), random.Random(0).randbytes(840 * 840 * 3)).save(big, "PNG")
    assert 2 * 1024 * 1024 < big.tell() < 3 * 1024 * 1024 * 3 // 4
    photo = {"content_type": "image/png", "data": base64.b64encode(big.getvalue()).decode()}
    too_big = page.send(code, kind="help", photo=photo)
    assert too_big.status_code == 422 and too_big.json()["field"] == "photo.data", too_big.text
    huge = page.client.post(f"/buildings/{code}/appeals", content=b"{" + b" " * (4 * 1024 * 1024) + b"}")
    assert huge.status_code == 413
    unknown = page.client.get("/buildings/no-such-building-link-0000")
    assert unknown.status_code == 404 and "找不到这个楼栋二维码" in unknown.json()["detail"]
    assert page.client.get("/appeals/AAAAAAAAAA").status_code == 404
    assert len(queue(cadre, "all")["appeals"]) == before


def test_a_replaced_link_says_so(server: Server, street: Api) -> None:
    old = codes(street, "c2")["b4"]
    renewed = street.ok("POST", "/communities/c2/codes", {"buildings": ["b4"]})["codes"]
    new = next(c["link"] for c in renewed if c["building"] == "b4").rsplit("/r/", 1)[1]
    page = Resident(server)
    gone = page.client.get(f"/buildings/{old}")
    assert gone.status_code == 404 and gone.json()["detail"].startswith(
        "这个二维码已更换，请扫描楼栋里新贴的二维码"
    )
    assert "不存在" not in gone.json()["detail"]
    assert page.send(old, kind="help").status_code == 404
    assert page.client.get(f"/buildings/{new}").json()["building_name"] == "4号楼"
    # The page itself is served for any link; it reads its code from its own address.
    html = httpx.get(f"{server.url}/r/{new}")
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]


# -- restart ------------------------------------------------------------------------------------------------


def test_restart_keeps_everything(server: Server, cadre: Api) -> None:
    code = codes(cadre)["b1"]
    kept = Resident(server).appeal(code, kind="help", note="重启前", phone=PHONE)
    appeal = by_receipt(cadre, kept["receipt"])
    cadre.ok("POST", f"/communities/c1/appeals/{appeal['id']}/reply", {"text": "好的", "resolved": True})
    Resident(server).client.post(f"/appeals/{kept['receipt']}/rating", json={"stars": 2})
    before = (
        queue(cadre, "all"),
        cadre.ok("GET", "/communities/c1/codes"),
        cadre.ok("GET", "/communities/c1/scores")["appeals"],
        Resident(server).client.get(f"/appeals/{kept['receipt']}").json(),
    )
    server.kill()
    server.start()
    after = (
        queue(cadre, "all"),
        cadre.ok("GET", "/communities/c1/codes"),
        cadre.ok("GET", "/communities/c1/scores")["appeals"],
        Resident(server).client.get(f"/appeals/{kept['receipt']}").json(),
    )
    assert after == before
    assert after[3]["rating"] == 2 and not after[3]["can_rate"]


def test_a_resend_is_counted_once_and_a_refused_one_stays_refused() -> None:
    limits = AppealLimits(AppealRates(per_building="1/minute", per_address="5/minute"))
    limits.submitted("code", "10.0.0.1", rescue=False, attempt="resident:c1:b1/k1")
    # The same request again (its first answer wrote nothing): not counted a second time.
    limits.submitted("code", "10.0.0.1", rescue=False, attempt="resident:c1:b1/k1")
    for attempt in ("resident:c1:b1/k2", "resident:c1:b1/k2", None):
        with pytest.raises(HTTPException) as refused:
            limits.submitted("code", "10.0.0.1", rescue=False, attempt=attempt)
        assert refused.value.status_code == 429
    # A rescue counts against its address only.
    limits.submitted("code", "10.0.0.1", rescue=True, attempt="resident:c1:b1/k3")
