"""One need, one story; names, not codes (issue 15), over a real server: 全部确认 in one request, all or none; a
household nobody answered at is to follow up until a later visit closes it; the CSVs name communities and
organisations; the plan's unmet texts come in the reader's language, with names for the codes.

Texts restated without a server: every template an explanation writes reads back in both languages."""

import asyncio
import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.auth import Role
from engine.matching.explain import TEXTS, Names, restate, text
from tests.api.server import MAP, Api, Server, api_for, wait_for
from tests.api.wsclient import Client


@pytest.fixture(scope="module")
def cadre(server: Server) -> Iterator[Api]:
    api = api_for(server, Role.CADRE)
    api.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
    yield api
    api.client.close()


def proposals(api: Api, needs: set[str]) -> list[str]:
    """The proposed dispatches of ``needs``, once there is one for each."""

    def found() -> list[str]:
        listed = api.ok("GET", "/communities/c1/assignments")
        ids = [d["id"] for d in listed if d["need"] in needs and d["status"] == "proposed"]
        return ids if {d["need"] for d in listed if d["id"] in ids} == needs else []

    result: list[str] = wait_for(found)
    return result


def report(api: Api, capability: str, place: str) -> str:
    body = {"capability": capability, "quantity": 1, "location": place, "priority": 3}
    need: str = api.ok("POST", "/communities/c1/needs", body)["id"]
    return need


def test_confirm_all_confirms_every_listed_proposal_in_one_request(server: Server, cadre: Api) -> None:
    needs = {report(cadre, "rescue.boat", "g0_1"), report(cadre, "supply.water", "g1_1")}
    ids = proposals(cadre, needs)
    # Not the cadre's to decide: refused, nothing confirmed.
    grid = api_for(server, Role.GRID_WORKER)
    refused = grid.post("/communities/c1/assignments/confirm", {"assignments": ids})
    assert refused.status_code == 403, refused.text
    # One unknown id: none of them is confirmed, and the answer names it.
    missing = cadre.post("/communities/c1/assignments/confirm", {"assignments": [*ids, "nope"]})
    assert missing.status_code == 404 and "nope" in missing.json()["detail"], missing.text
    assert {d["status"] for d in cadre.ok("GET", "/communities/c1/assignments") if d["id"] in ids} == {
        "proposed"
    }
    empty = cadre.post("/communities/c1/assignments/confirm", {"assignments": []})
    assert empty.status_code == 422 and "assignments" in empty.text, empty.text

    confirmed = cadre.ok("POST", "/communities/c1/assignments/confirm", {"assignments": ids})["confirmed"]
    assert [d["id"] for d in confirmed] == ids
    assert {d["status"] for d in confirmed} == {"notified"}
    assert all(d["confirmed_by"] for d in confirmed)
    # Confirmed ones are no proposals any more: confirming them again is refused, as one at a time would be.
    again = cadre.post("/communities/c1/assignments/confirm", {"assignments": ids})
    assert again.status_code == 409, again.text
    for need in needs:
        cadre.ok("POST", f"/communities/c1/needs/{need}/cancel", {"reason": "test"})


def test_nobody_answering_is_to_follow_up_until_a_later_visit(server: Server, cadre: Api) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("PUT", "/communities/c1/grids/g1", {"name": "一网格"})
    street.ok("PUT", "/communities/c1/buildings/b1", {"name": "1号楼", "grid": "g1", "location": "g1_1"})
    # Saved during the incident: its check is issued at once.
    street.ok(
        "PUT",
        "/communities/c1/households/h1",
        {"building": "b1", "address": "101", "tags": ["elderly_alone"]},
    )

    def state() -> str:
        [check] = cadre.ok("GET", "/communities/c1/checks")["checks"]
        return str(check["state"])

    assert state() == "pending"
    absent = cadre.ok("POST", "/communities/c1/checks/h1", {"result": "absent"})["check"]
    assert (absent["result"], absent["state"]) == ("absent", "follow_up")
    listed = cadre.ok("GET", "/communities/c1/checks?state=follow_up")["checks"]
    assert [c["household"]["id"] for c in listed] == ["h1"]
    # Nobody again: still to follow up. Then someone answers: done, and off the follow-up list.
    cadre.ok("POST", "/communities/c1/checks/h1", {"result": "absent"})
    assert state() == "follow_up"
    cadre.ok("POST", "/communities/c1/checks/h1", {"result": "safe", "note": "第二次上门，老人在家"})
    assert state() == "done"
    assert cadre.ok("GET", "/communities/c1/checks?state=follow_up")["checks"] == []
    bad = cadre.get("/communities/c1/checks?state=later")
    assert bad.status_code == 422 and "state" in bad.text, bad.text
    street.client.close()


def rows_of(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csvs_name_communities_and_organisations(server: Server, cadre: Api) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    ids = {"c1", "c2", "c1-boats", "c1-shop", "c2-boats", "c2-shop", "c1-boat", "c1-water"}
    for path in ("/streets/s1/contributions.csv", "/streets/s1/scores.csv", "/communities/c1/scores.csv"):
        rows = rows_of(street.get(path))
        cells = {cell for row in rows for cell in row}
        assert cells & ids == set(), (path, cells & ids)
        assert "c1社区" in cells, path
        assert "人员编号" not in rows[0] and "组织编号" not in rows[0], rows[0]
    contributions = rows_of(street.get("/streets/s1/contributions.csv"))
    assert {r[1] for r in contributions[1:]} >= {"boats", "shop"}
    street.client.close()


def test_unmet_texts_follow_the_readers_language_with_names(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c3")
    cadre.ok("POST", "/communities/c3/incidents", {"kind": "flood", "level": 2})
    body = {"capability": "medical.doctor", "quantity": 1, "location": "g1_1", "priority": 3}

    async def live() -> tuple[str, dict[str, Any]]:
        """The need reported, and its unmet entry as the community's channel brings it (one text for all)."""
        client = await Client(server.ws_url, cadre.token).open()
        await client.subscribe("community:c3")
        need: str = cadre.ok("POST", "/communities/c3/needs", body)["id"]
        plan = await client.until(
            lambda m: (
                m.get("type") == "plan_proposed"
                and any(u["need"] == need for u in m["data"]["event"]["unmet"])
            )
        )
        await client.close()
        [entry] = [u for u in plan["data"]["event"]["unmet"] if u["need"] == need]
        return need, entry

    need, pushed = asyncio.run(live())
    assert pushed["detail"] == "资源库中没有能提供「医生」的资源", pushed

    def unmet(**kw: Any) -> dict[str, Any]:
        response = cadre.get("/communities/c3/plan", **kw)
        if response.status_code != 200:
            return {}
        found = [u for u in response.json()["plan"]["unmet"] if u["need"] == need]
        return found[0] if found else {}

    zh = wait_for(unmet)
    assert zh["detail"] == "资源库中没有能提供「医生」的资源", zh
    assert zh["suggestion"]["text"] == "上报街道，请求街道资源库支援"
    for en in (unmet(headers={"Accept-Language": "en-GB,en;q=0.9"}), unmet(params={"lang": "en"})):
        assert en["detail"] == "The pool has nothing that provides “doctor”", en
        assert en["suggestion"]["text"] == "Escalate to the street: ask for the street's pool"
    # ?lang= wins over the header; anything else is Chinese.
    assert unmet(params={"lang": "zh"}, headers={"Accept-Language": "en"})["detail"] == zh["detail"]
    assert unmet(headers={"Accept-Language": "fr"})["detail"] == zh["detail"]
    # The street's inbox shows the same texts of an escalated need, in its reader's language.
    cadre.ok("POST", f"/communities/c3/needs/{need}/escalate")
    street = Api(server, server.token(Role.STREET, street="s2"))
    street.ok("POST", "/streets", {"id": "s2", "name": "二街道", "profile": "fast_test", "map": MAP})
    for lang, detail in (("zh", zh["detail"]), ("en", "The pool has nothing that provides “doctor”")):
        response = street.get("/streets/s2/inbox", headers={"Accept-Language": lang})
        assert response.status_code == 200, response.text
        [item] = [i for i in response.json() if i["need"]["id"] == need]
        assert item["detail"] == detail, item
    street.client.close()
    cadre.client.close()


FIELDS = {
    "rule": "rest_after_ten_hours",
    "cap": "rescue.boat",
    "ids": "c1-boat、c2-boat",
    "lowest": 3,
    "n": 2,
}
FIELDS |= {"missing": "water_rescue", "mode": "应急", "m": 30, "s": 600}
NAMES = Names(
    capability={"rescue.boat": "救生艇"}.get, resource={"c1-boat": "冲锋舟", "c2-boat": "橡皮艇"}.get
)


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_explanation_text_reads_back_in_both_languages(key: str) -> None:
    kept = text(key, **FIELDS)
    zh, en = restate(kept, "zh", NAMES), restate(kept, "en", NAMES)
    assert not re.search(
        r"[\u4e00-\u9fff]", en.replace("救生艇", "").replace("冲锋舟", "").replace("橡皮艇", "")
    ), en
    for named in (zh, en):
        assert "rescue.boat" not in named and "c1-boat" not in named, named
    assert zh == TEXTS[key][0].format(**{**FIELDS, "cap": "救生艇", "ids": "冲锋舟、橡皮艇"})
    assert en == TEXTS[key][1].format(
        **{**FIELDS, "cap": "救生艇", "ids": "冲锋舟, 橡皮艇", "mode": "incident"}
    )
