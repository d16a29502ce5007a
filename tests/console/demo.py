"""The demo (api/examples/flood.json) in a flood, for the README's screenshots (docs/screenshots.py) and for the
scan of what a person reads (tests/console/test_no_codes.py).

Raw ids and codes must never reach a person: every id of the demo (community, street, organisations, units,
needs, members, grids, buildings, households), its capability codes and every road node id. A person reads
12栋 and 蓝天救援队, never g6_2 or blue_sky.
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.api.server import ROOT, Api, Server, wait_for

DEMO = ROOT / "api" / "examples" / "flood.json"
PEOPLE = ROOT / "api" / "examples" / "flood.people.json"
# What a grid worker may send: the demo file's needs carry fields (who, when) that the server fills in.
REPORTED = (
    "id",
    "capability",
    "quantity",
    "location",
    "priority",
    "requires",
    "max_travel_s",
    "tags",
    "team",
    "note",
)
# A grid map's node (g{row}_{col}), wherever it shows.
NODE = re.compile(r"(?<![A-Za-z0-9_])g\d+_\d+(?![A-Za-z0-9_])")


def demo_codes(demo: Path = DEMO, people: Path = PEOPLE) -> frozenset[str]:
    document: dict[str, Any] = json.loads(demo.read_text(encoding="utf-8"))
    who: dict[str, Any] = json.loads(people.read_text(encoding="utf-8"))
    community = document["community"]
    codes = {community["id"], community["street"]}
    codes |= {o["id"] for o in document["organisations"]} | {
        o["community"] for o in document["organisations"]
    }
    for resource in document["resources"]:
        codes |= {resource["id"], resource["capability"], *resource.get("certifications", ())}
    for need in document["needs"]:
        codes |= {need["id"], need["capability"], *need.get("requires", ())}
        codes |= {part["capability"] for part in need.get("team", ())}
    for key in ("grids", "buildings", "members", "households"):
        codes |= {row["id"] for row in who.get(key, ())}
    # The street's world (street_world below): its pool's and its neighbour's.
    codes.add("donghu")
    for org, _, _, units in (*STREET_POOL, *NEIGHBOUR):
        codes |= {org, *(unit[0] for unit in units), *(unit[1] for unit in units)}
    return frozenset(codes)


def seen_text(page: Page) -> str:
    """What a person meets on the page: its title, its text, and the names a screen reader says."""
    return str(
        page.evaluate(
            """() => {
              const said = [...document.querySelectorAll("[aria-label], [title], [alt], [placeholder]")]
                .map((el) => ["aria-label", "title", "alt", "placeholder"].map((a) => el.getAttribute(a) || "").join(" "));
              return [document.title, document.body.innerText, ...said].join("\\n");
            }"""
        )
    )


def raw_codes(text: str, codes: Iterable[str]) -> list[str]:
    """The codes found in ``text`` as words of their own (a code inside a longer word does not count)."""
    found = sorted(set(NODE.findall(text)))
    for code in sorted(codes):
        if re.search(rf"(?<![A-Za-z0-9_.-]){re.escape(code)}(?![A-Za-z0-9_-])", text):
            found.append(code)
    return found


def flood(server: Server, tokens: dict[str, str]) -> str:
    """The demo community in a flood: its incident, its residents' needs as grid workers send them, and the
    rescue team's first answers (one boat on its way, a crew accepted). Returns the community's path."""
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    c = f"/communities/{document['community']['id']}"
    cadre, grid = Api(server, tokens["cadre"]), Api(server, tokens["grid_worker"])
    organisation = Api(server, tokens["organisation"])  # 蓝天救援队, the demo's first organisation
    cadre.ok("POST", f"{c}/incidents", {"kind": "flood", "level": 2})
    for need in document["needs"]:
        grid.ok("POST", f"{c}/needs", {k: v for k, v in need.items() if k in REPORTED})
    wait_for(lambda: len(organisation.ok("GET", f"{c}/assignments")) >= 3)
    first, second, *_ = organisation.ok("GET", f"{c}/assignments")
    organisation.ok("POST", f"{c}/assignments/{first['id']}/acknowledge")
    organisation.ok("POST", f"{c}/assignments/{first['id']}/en-route")
    organisation.ok("POST", f"{c}/assignments/{second['id']}/acknowledge")
    return c


# The street's own pool, and a neighbour (东湖社区) that lends in an incident with the street's approval:
# organisation id, kind, name, units (id, capability, quantity, place, name).
STREET_POOL = (
    ("hexi-centre", "public_unit", "街道应急服务中心", (
        ("hexi-medics", "medical.first_aid", 2, "g4_4", "街道急救员"),
        ("hexi-van", "transport.vehicle", 1, "g7_0", "街道转运车"),
    )),
    ("hexi-chamber", "enterprise", "河西商会", (("hexi-food", "supply.food", 300, "g0_7", "商会应急食品"),)),
)  # fmt: skip
NEIGHBOUR = (("donghu-red", "social_organisation", "东湖志愿服务站", (
    ("donghu-generator", "power.generator", 1, "g6_6", "移动发电机"),
)),)  # fmt: skip
# Two needs the demo community cannot meet, escalated to the street.
ESCALATED = (
    {"capability": "medical.doctor", "quantity": 1, "location": "g5_5", "priority": 5, "note": "透析病人，需要医生上门"},
    {"capability": "shelter.bed", "quantity": 6, "location": "g6_5", "priority": 4, "note": "7号楼一楼进水，6位老人需临时安置"},
)  # fmt: skip


Pool = tuple[tuple[str, str, str, tuple[tuple[str, str, int, str, str], ...]], ...]


def register(api: Api, base: str, pool: Pool) -> None:
    for org, kind, name, units in pool:
        api.ok("POST", f"{base}/organisations", {"id": org, "kind": kind, "name": name})
        for rid, capability, quantity, place, label in units:
            body = {"id": rid, "organisation": org, "capability": capability, "quantity": quantity}
            api.ok("POST", f"{base}/resources", {**body, "location": place, "name": label})


def street_world(server: Server, tokens: dict[str, str], c: str) -> str:
    """The demo's street (河西街道) with its own pool, a neighbour (东湖社区) that lends with the street's
    approval, and two needs of the demo community escalated to it, one answered. Returns the street's path."""
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    street, cadre, grid = (Api(server, tokens[r]) for r in ("street", "cadre", "grid_worker"))
    hexi, travel = document["community"]["street"], document["travel"]
    body = {"id": hexi, "name": "河西街道", "profile": document["community"]["profile"], "map": travel}
    street.ok("POST", "/streets", body)
    register(street, f"/streets/{hexi}", STREET_POOL)
    body = {"id": "donghu", "street": hexi, "name": "东湖社区", "profile": "urban_admin_rich", "map": travel}
    street.ok("POST", "/communities", body)
    register(street, "/communities/donghu", NEIGHBOUR)
    doctor, beds = (grid.ok("POST", f"{c}/needs", need)["id"] for need in ESCALATED)
    for need in (doctor, beds):
        cadre.ok("POST", f"{c}/needs/{need}/escalate")
    answer = {"answer": "asked", "community": "donghu", "note": "已请东湖社区腾出活动室"}
    street.ok("POST", f"{c}/needs/{beds}/answer", answer)
    wait_for(lambda: any(i["approvals"] for i in street.ok("GET", f"/streets/{hexi}/inbox")))
    return f"/streets/{hexi}"
