"""Object-level authorisation, as one table: every route and channel, every role, every kind of object.

The principals are bound to community c1 of street s1 (the street principal and the street observer to s1
itself; the organisation principal to c1-boats). The community's roster makes the grid worker the one of grid
g1, the captain the one of building b1, and "head" a cadre token whose roster entry is the community head. Each route is tried against the same kind of object in four
places: the principal's own community (OWN), the other organisation of c1 (OTHER_ORG, for objects an
organisation owns), c2 on the same street (SAME_STREET) and c3 on street s2 (OTHER_STREET).

The table gives the status on OWN; the other places follow from the design rule in api/access.py: a
community the principal cannot see gives 404 (its existence is not leaked), and so does another
organisation's object to an organisation. Without a token every route answers 401.

A route the running server serves with no row here fails ``test_every_route_has_a_row``: a new route must say
who may use it. State-changing cells that should succeed each get a fresh object; the cells that should be
refused share one per row and place, and each refusal is checked to have left it exactly as it was, so the
order of rows and cells does not matter.
"""

import asyncio
import base64
import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api.auth import Role, hash_secret
from api.db import database
from tests.api.server import MAP, UNTHROTTLED, Api, Server, api_for, build_world, wait_for
from tests.api.wsclient import Client
from tests.cap_samples import MEDIA, alert, geocode

V1 = "/api/v1"
PROFILE = "matrix_quiet"
# Nothing confirms itself and nothing times out while the module runs: a dispatch stays in the state a row
# put it in. Plans come quickly (incident mode re-plans after the server's debounce).
QUIET = f"""
name: {PROFILE}
title_zh: 权限矩阵测试
title_en: Access matrix test profile
dispatch:
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 1
rules:
  # Something for /profile/relax to relax; it never applies in an incident, where the rows run.
  - name: rotate
    kind: preference
    prefer: rotation
    penalty_s: 1
    modes: [normal]
"""
PHONE, MASKED = "13812345678", "138****5678"
ROLES = ("street", "cadre", "organisation", "grid_worker", "observer", "street_observer", "head", "captain")
NO_TOKEN = ("anonymous", "forged")
# Which communities each principal can see at all.
VISIBLE = {"street": {"c1", "c2"}, "street_observer": {"c1", "c2"}}
# Roster entries (Member.id = the name on the token), the same in every community so that every place has the
# same kind of objects: the head, a cadre given task parts, grid g1's worker and building b1's captain.
HEAD, ASSIGNEE, WORKER, CAPTAIN = "head-test", "m-cadre", "grid_worker-test", "captain-test"
# A vulnerable household in grid g1 / building b1, its name and phone recorded.
HOUSEHOLD = {
    "building": "b1",
    "address": "1单元101",
    "tags": ["elderly_alone"],
    "contact": "王小明",
    "phone": PHONE,
}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
CAPABILITY = {"boats": "rescue.boat", "shop": "supply.water"}
# Fixture needs sit on g2_2, where {c}-fleet and {c}-water are: the plan for each is the same every time.
SPOT = "g2_2"
# Roads a row may close: none touches SPOT, so closing one changes no fixture's plan.
EDGES = [(f"g{r}_{c}", f"g{r}_{c + 1}") for r in (0, 4) for c in range(4)] + [
    (f"g{r}_{c}", f"g{r + 1}_{c}") for c in (0, 4) for r in range(4)
]


@dataclass(frozen=True)
class Target:
    community: str
    owner: str  # "boats": the organisation principal's own organisation in c1; "shop": another one

    @property
    def organisation(self) -> str:
        return f"{self.community}-{self.owner}"

    @property
    def street(self) -> str:
        return "s2" if self.community == "c3" else "s1"

    def __str__(self) -> str:
        return f"{self.organisation}"


OWN, OTHER_ORG = Target("c1", "boats"), Target("c1", "shop")
SAME_STREET, OTHER_STREET = Target("c2", "boats"), Target("c3", "boats")


class World:
    """The principals, and the objects the rows act on, made through the API as the street would."""

    def __init__(self, server: Server) -> None:
        self.server = server
        street1 = Api(server, server.token(Role.STREET, street="s1"))
        street2 = Api(server, server.token(Role.STREET, street="s2"))
        self.admin = {"c1": street1, "c2": street1, "c3": street2}
        tokens = {
            "street": server.token(Role.STREET, street="s1"),
            "cadre": api_for(server, Role.CADRE).token,
            "organisation": api_for(server, Role.ORGANISATION).token,
            "grid_worker": api_for(server, Role.GRID_WORKER).token,
            "observer": api_for(server, Role.OBSERVER).token,
            "street_observer": server.token(Role.OBSERVER, street="s1"),
            "head": server.token(Role.CADRE, community="c1", name=HEAD),
            "captain": server.token(Role.CAPTAIN, community="c1", name=CAPTAIN),
            "forged": "pz_" + "x" * 32,
        }
        self.tokens = tokens
        # The head of each community splits and submits (on their members' behalf) for the task rows.
        self.heads = {
            c: Api(server, server.token(Role.CADRE, community=c, name=HEAD)) for c in ("c1", "c2", "c3")
        }
        self.clients = {
            who: httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)
            for who, token in tokens.items()
        }
        self.clients["anonymous"] = httpx.Client(timeout=30)
        # What sends the warnings the rows decide on: another system, with a token of its own.
        self.system = httpx.Client(
            headers={"Authorization": f"Bearer {server.token(Role.SYSTEM)}"}, timeout=30
        )
        self.ids = itertools.count(1)
        self.edges: dict[str, Iterator[tuple[str, str]]] = {c: iter(EDGES) for c in ("c1", "c2", "c3")}
        # Needs reported and proposed for, not yet used by a row.
        self.pool: dict[Target, list[str]] = defaultdict(list)
        self.codes: dict[str, str] = {}

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-m{next(self.ids)}"

    def request(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        if isinstance(body, bytes):
            # A file sent as itself (the pool's import, a warning's CAP alert), not as JSON.
            headers = {"Content-Type": "application/cap+xml" if body.startswith(b"<?xml") else "text/csv"}
            return self.clients[who].request(method, self.server.url + path, content=body, headers=headers)
        return self.clients[who].request(method, self.server.url + path, json=body)

    def look(self, community: str, path: str, keep: tuple[str, ...] | None = None) -> Any:
        """What the street sees at ``path`` (under /api/v1): the status, and the body or part of it."""
        response = self.admin[community].get(path)
        body = response.json()
        if keep is not None and response.status_code == 200:
            body = {k: body[k] for k in keep}
        return response.status_code, body

    def ids_at(self, community: str, path: str) -> list[str]:
        return sorted(item["id"] for item in self.admin[community].ok("GET", path))

    def need(self, t: Target, **extra: Any) -> dict[str, Any]:
        return {"capability": CAPABILITY[t.owner], "quantity": 1, "location": SPOT, "priority": 3, **extra}

    def dispatch(self, t: Target, status: str) -> tuple[str, str]:
        """A need of ``t``'s community served by ``t``'s organisation, its dispatch in ``status``."""
        admin = self.admin[t.community]
        if not self.pool[t]:
            # Reported a few at a time: one re-plan proposes for all of them.
            self.pool[t] = [
                admin.ok("POST", f"/communities/{t.community}/needs", self.need(t))["id"] for _ in range(4)
            ]
        need = self.pool[t].pop(0)
        [dispatch] = wait_for(
            lambda: [
                d["id"]
                for d in admin.ok("GET", f"/communities/{t.community}/assignments")
                if d["need"] == need and d["status"] == "proposed"
            ]
        )
        path = f"/communities/{t.community}/assignments/{dispatch}"
        if status in ("notified", "en_route"):
            assert admin.ok("POST", f"{path}/confirm")["status"] == "notified"
        if status == "en_route":
            assert admin.ok("POST", f"{path}/en-route")["status"] == "en_route"
        return need, dispatch

    def cancel(self, community: str, need: str) -> None:
        # Frees the units its dispatches hold; a need already served (done) stays as it is.
        response = self.admin[community].post(f"/communities/{community}/needs/{need}/cancel", {})
        assert response.status_code in (200, 409), response.text

    def incident(self, community: str) -> str:
        current = self.admin[community].ok("GET", f"/communities/{community}")["incident"]
        assert current is not None, f"{community} has no open incident"
        return str(current["id"])

    def reopen_incident(self, community: str) -> None:
        if self.admin[community].ok("GET", f"/communities/{community}")["incident"] is None:
            self.admin[community].ok(
                "POST", f"/communities/{community}/incidents", {"kind": "flood", "level": 2}
            )

    def task(self, t: Target, *, split: bool = True, submit: bool = False, photo: bool = False) -> str:
        """A task issued to ``t``'s community alone; split into p1 (the grid worker's) and p2; p1 submitted."""
        c = t.community
        body = {
            "title": "矩阵任务",
            "due_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            "points": 10,
            "evidence": ["text", "photo"] if photo else ["text"],
            "communities": [c],
        }
        task = str(self.admin[c].ok("POST", f"/streets/{t.street}/tasks", body)["id"])
        head = self.heads[c]
        if split:
            parts = [
                {"title": "一", "assignee": WORKER, "points": 5},
                {"title": "二", "assignee": ASSIGNEE, "points": 5},
            ]
            head.ok("PUT", f"/communities/{c}/tasks/{task}/parts", {"parts": parts})
        if submit:
            evidence: dict[str, Any] = {"text": "done"}
            if photo:
                evidence["photo"] = {"content_type": "image/png", "data": base64.b64encode(PNG).decode()}
            head.ok("POST", f"/communities/{c}/tasks/{task}/parts/p1/submission", evidence)
        return task

    def code(self, community: str) -> str:
        """Building b1's link code in ``community`` (made the first time it is asked for)."""
        if community not in self.codes:
            made = self.admin[community].ok("POST", f"/communities/{community}/codes", {"buildings": ["b1"]})
            link = next(c["link"] for c in made["codes"] if c["building"] == "b1")
            self.codes[community] = link.rsplit("/r/", 1)[1]
        return self.codes[community]

    def appeal(self, t: Target, *, order: bool = False, resolved: bool = False) -> tuple[str, str]:
        """A resident's appeal from b1 of ``t``'s community (its id and receipt); a work order for the grid
        worker (``order``), or answered as resolved."""
        c = t.community
        sent = self.clients["anonymous"].post(
            f"{self.server.url}{V1}/public/buildings/{self.code(c)}/appeals",
            json={"kind": "repair", "note": self.new_id("漏水"), "phone": PHONE},
        )
        assert sent.status_code == 201, sent.text
        receipt = sent.json()["receipt"]
        queue = self.admin[c].ok("GET", f"/communities/{c}/appeals?state=all")["appeals"]
        appeal = next(a["id"] for a in queue if a["receipt"] == receipt)
        path = f"/communities/{c}/appeals/{appeal}"
        if order:
            self.admin[c].ok("POST", f"{path}/order", {"member": WORKER})
        if resolved:
            self.admin[c].ok("POST", f"{path}/reply", {"text": "已处理", "resolved": True})
        return appeal, receipt

    def close_incident(self, community: str) -> None:
        self.admin[community].ok(
            "POST", f"/communities/{community}/incidents/{self.incident(community)}/close"
        )


@dataclass
class Case:
    """One request's object: where to send it, with what, how to see that a refusal changed nothing, and how
    to undo a success that would disturb later cells."""

    path: str
    body: Any = None
    look: Callable[[], Any] | None = None
    cleanup: Callable[[httpx.Response], None] = field(default=lambda _: None)


Prepare = Callable[[World, Target, bool], Case]


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    # the status on OWN per role in ROLES (six entries: see ``statuses``)
    # street, cadre, organisation, grid_worker, observer, street_observer[, head, captain]
    expect: tuple[int, ...]
    prepare: Prepare
    changes: bool = False
    owned: bool = False  # the object belongs to an organisation: try OTHER_ORG too
    foreign: int = 404  # an organisation asking about another organisation's object
    hidden: int = 404  # anyone asking about a community they cannot see
    no_token: int = 401
    scoped: bool = True  # False: the route is about no community; one try per principal is enough
    # A route about a street rather than a community: the status for (principal, place), None for the default.
    rule: Callable[[str, Target], int | None] | None = None

    @property
    def statuses(self) -> tuple[int, ...]:
        """One per role in ROLES. A row written before heads and captains existed: a head is a cadre to it,
        and a captain reads the community like an observer and changes nothing."""
        if len(self.expect) == 6:
            return (*self.expect, self.expect[ROLES.index("cadre")], self.expect[ROLES.index("observer")])
        return self.expect

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    @property
    def targets(self) -> tuple[Target, ...]:
        if not self.scoped:
            return (OWN,)
        return (OWN, OTHER_ORG, SAME_STREET, OTHER_STREET) if self.owned else (OWN, SAME_STREET, OTHER_STREET)


def expected(row: Row, who: str, t: Target) -> int:
    if who in NO_TOKEN:
        return row.no_token
    if row.rule is not None and (status := row.rule(who, t)) is not None:
        return status
    if t.community not in VISIBLE.get(who, {"c1"}):
        return row.hidden
    if who == "organisation" and t.owner != "boats":
        return row.foreign
    return row.statuses[ROLES.index(who)]


# -- how each row finds or makes its object ----------------------------------------------------------


def at(suffix: str = "") -> Prepare:
    return lambda w, t, fresh: Case(f"{V1}/communities/{t.community}{suffix}")


def organisation(w: World, t: Target, fresh: bool) -> Case:
    return Case(f"{V1}/communities/{t.community}/organisations/{t.organisation}")


def resource(w: World, t: Target, fresh: bool) -> Case:
    name = "boat" if t.owner == "boats" else "water"
    return Case(f"{V1}/communities/{t.community}/resources/{t.community}-{name}")


def need(w: World, t: Target, fresh: bool) -> Case:
    # A need with a dispatch sent to the owner: the one kind of need an organisation may see.
    need_id, _ = w.dispatch(t, "notified")
    return Case(f"{V1}/communities/{t.community}/needs/{need_id}")


def export(suffix: str) -> Prepare:
    """An export of the open incident (api/routes/exports.py): the community has an open need with a committed
    dispatch, made once per community, so that each export has something to carry."""
    sent: dict[str, str] = {}

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        if t.community not in sent:
            sent[t.community], _ = w.dispatch(t, "notified")
        return Case(f"{V1}/communities/{t.community}/incidents/{w.incident(t.community)}{suffix}")

    return prepare


def incident(w: World, t: Target, fresh: bool) -> Case:
    return Case(f"{V1}/communities/{t.community}/incidents/{w.incident(t.community)}")


def assignment(w: World, t: Target, fresh: bool) -> Case:
    _, dispatch = w.dispatch(t, "notified")
    return Case(f"{V1}/communities/{t.community}/assignments/{dispatch}")


def create_community(w: World, t: Target, fresh: bool) -> Case:
    admin = w.admin[t.community]
    body = {"id": w.new_id("m"), "street": t.street, "profile": PROFILE, "map": MAP}
    return Case(
        f"{V1}/communities", body, look=lambda: sorted(c["id"] for c in admin.ok("GET", "/communities"))
    )


def change_profile(w: World, t: Target, fresh: bool) -> Case:
    # The same profile again: a success is a real change event, and later cells see the same rules.
    c = t.community
    return Case(
        f"{V1}/communities/{c}/profile",
        {"profile": PROFILE},
        look=lambda: w.look(c, f"/communities/{c}", ("profile", "mode", "incident")),
    )


def relax_rule(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    if fresh:
        # Setting the profile again brings back the rule an earlier cell relaxed.
        w.admin[c].ok("PUT", f"/communities/{c}/profile", {"profile": PROFILE})
    return Case(
        f"{V1}/communities/{c}/profile/relax",
        {"rule": "rotate"},
        look=lambda: w.look(c, f"/communities/{c}/profile"),
    )


def create_organisation(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    body = {"id": w.new_id(f"{c}-org"), "kind": "enterprise"}
    return Case(
        f"{V1}/communities/{c}/organisations",
        body,
        look=lambda: w.ids_at(c, f"/communities/{c}/organisations"),
    )


def create_resource(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    # Far from SPOT: the fixtures' plans never take it.
    body = {
        "id": w.new_id(f"{c}-res"),
        "organisation": t.organisation,
        "capability": CAPABILITY[t.owner],
        "quantity": 1,
        "location": "g0_0",
    }
    return Case(
        f"{V1}/communities/{c}/resources", body, look=lambda: w.ids_at(c, f"/communities/{c}/resources")
    )


def update_resource(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    made = w.admin[c].ok("POST", f"/communities/{c}/resources", create_resource(w, t, fresh).body)
    path = f"/communities/{c}/resources/{made['id']}"
    return Case(V1 + path, {"quantity": 3}, look=lambda: w.look(c, path))


# pool import/export
def import_pool(w: World, t: Target, fresh: bool) -> Case:
    """A CSV of one new organisation with a van far from SPOT: no fixture's need asks for it."""
    c = t.community
    organisation = w.new_id(f"{c}-pool")
    data = f"组织编号,组织类型,资源编号,能力,数量,位置\r\n{organisation},企业,{organisation}-van,车辆转移,1,g0_0\r\n"
    return Case(
        f"{V1}/communities/{c}/pool/import",
        data.encode(),
        look=lambda: (
            w.ids_at(c, f"/communities/{c}/organisations"),
            w.ids_at(c, f"/communities/{c}/resources"),
        ),
    )


def create_need(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    return Case(
        f"{V1}/communities/{c}/needs",
        w.need(t),
        look=lambda: w.ids_at(c, f"/communities/{c}/needs"),
        cleanup=lambda r: w.cancel(c, r.json()["id"]),
    )


def change_need(suffix: str, body: dict[str, Any] | None) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        need_id, _ = w.dispatch(t, "notified")
        path = f"/communities/{c}/needs/{need_id}"
        return Case(
            V1 + path + suffix, body, look=lambda: w.look(c, path), cleanup=lambda _: w.cancel(c, need_id)
        )

    return prepare


def trigger_incident(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    if fresh:
        # Only a community in normal times can start an incident.
        w.close_incident(c)
    return Case(
        f"{V1}/communities/{c}/incidents",
        {"kind": "typhoon", "level": 2},
        look=lambda: w.look(c, f"/communities/{c}/incidents"),
        cleanup=lambda _: w.reopen_incident(c),
    )


def incident_action(suffix: str, body: dict[str, Any] | None) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        path = f"/communities/{c}/incidents/{w.incident(c)}"
        return Case(
            V1 + path + suffix, body, look=lambda: w.look(c, path), cleanup=lambda _: w.reopen_incident(c)
        )

    return prepare


def dispatch_action(status: str, suffix: str, body: Callable[[Target], Any] = lambda t: None) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        need_id, dispatch = w.dispatch(t, status)
        path = f"/communities/{c}/assignments/{dispatch}"
        keep = ("id", "need", "resource", "quantity", "status", "since", "confirmed_by", "notified_at")
        return Case(
            V1 + path + suffix,
            body(t),
            look=lambda: w.look(c, path, keep),
            cleanup=lambda _: w.cancel(c, need_id),
        )

    return prepare


def confirm_many(w: World, t: Target, fresh: bool) -> Case:
    """全部确认 of one proposal: as its own confirm, in the body's list."""
    c = t.community
    need_id, dispatch = w.dispatch(t, "proposed")
    path = f"/communities/{c}/assignments/{dispatch}"
    keep = ("id", "need", "resource", "quantity", "status", "since", "confirmed_by", "notified_at")
    return Case(
        f"{V1}/communities/{c}/assignments/confirm",
        {"assignments": [dispatch]},
        look=lambda: w.look(c, path, keep),
        cleanup=lambda _: w.cancel(c, need_id),
    )


def road(suffix: str) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        u, v = next(w.edges[c])
        if suffix == "reopen":
            w.admin[c].ok("POST", f"/communities/{c}/roads/close", {"from": u, "to": v})
        admin = w.admin[c]

        def cleanup(_: httpx.Response) -> None:
            if suffix == "close":
                admin.ok("POST", f"/communities/{c}/roads/reopen", {"from": u, "to": v})

        return Case(
            f"{V1}/communities/{c}/roads/{suffix}",
            {"from": u, "to": v},
            look=lambda: admin.ok("GET", f"/communities/{c}/roads/closed"),
            cleanup=cleanup,
        )

    return prepare


# -- the community's people, households, checks and street tasks ------------------------------------------


def save_place(kind: str, body: dict[str, Any]) -> Prepare:
    """PUT a new member, grid or building (a fresh id for each success)."""

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        return Case(
            f"{V1}/communities/{c}/{kind}/{w.new_id(kind[0])}",
            body,
            look=lambda: w.look(c, f"/communities/{c}/{kind}"),
        )

    return prepare


def household(w: World, t: Target, fresh: bool) -> Case:
    return Case(f"{V1}/communities/{t.community}/households/hh")


def edit_household(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    path = f"/communities/{c}/households/hh"
    return Case(V1 + path, {**HOUSEHOLD, "note": w.new_id("note")}, look=lambda: w.look(c, path))


def remove_household(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    made = w.new_id("hx")
    w.admin[c].ok("PUT", f"/communities/{c}/households/{made}", {"building": "b1", "address": made})
    path = f"/communities/{c}/households/{made}"
    return Case(V1 + path, look=lambda: w.look(c, path))


def report_check(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    return Case(
        f"{V1}/communities/{c}/checks/hh",
        {"result": "safe", "note": w.new_id("seen")},
        look=lambda: w.look(c, f"/communities/{c}/checks"),
    )


def issue_task(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    body = {
        "title": "矩阵",
        "due_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "points": 1,
        "communities": [c],
    }
    return Case(f"{V1}/streets/{t.street}/tasks", body, look=lambda: w.ids_at(c, f"/communities/{c}/tasks"))


def task_action(suffix: str, body: Any, **made: bool) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        task = w.task(t, **made)
        path = f"/communities/{c}/tasks/{task}"
        return Case(V1 + path + suffix, body, look=lambda: w.look(c, path))

    return prepare


def photo(w: World, t: Target, fresh: bool) -> Case:
    w.task(t, submit=True, photo=True)
    return Case(f"{V1}/communities/{t.community}/photos/{hashlib.sha256(PNG).hexdigest()}")


def appeal_action(suffix: str, body: Any, *, order: bool = False) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        appeal, _ = w.appeal(t, order=order)
        path = f"/communities/{c}/appeals/{appeal}"
        return Case(V1 + path + suffix, body, look=lambda: w.look(c, path))

    return prepare


def merge_appeal(w: World, t: Target, fresh: bool) -> Case:
    into, _ = w.appeal(t)
    return appeal_action("/merge", {"into": into})(w, t, fresh)


def issue_codes(w: World, t: Target, fresh: bool) -> Case:
    c = t.community
    return Case(
        f"{V1}/communities/{c}/codes",
        {"buildings": ["b2"]},
        look=lambda: w.look(c, f"/communities/{c}/codes"),
    )


def public_building(w: World, t: Target, fresh: bool) -> Case:
    return Case(f"{V1}/public/buildings/{w.code('c1')}")


def public_appeal(w: World, t: Target, fresh: bool) -> Case:
    return Case(f"{V1}/public/buildings/{w.code('c1')}/appeals", {"kind": "help", "note": w.new_id("求助")})


def public_receipt(suffix: str, body: Any, **made: bool) -> Prepare:
    def prepare(w: World, t: Target, fresh: bool) -> Case:
        _, receipt = w.appeal(OWN, **made)
        return Case(f"{V1}/public/appeals/{receipt}{suffix}", body)

    return prepare


def street_at(suffix: str) -> Prepare:
    return lambda w, t, fresh: Case(f"{V1}/streets/{t.street}{suffix}")


def street_route(allowed: tuple[str, ...], status: int) -> Callable[[str, Target], int | None]:
    """Street staff (and, to read, street observers) of that street; a street principal asking about another
    street gets 404 (its existence is not leaked); everyone else 403."""

    def rule(who: str, t: Target) -> int:
        if who in ("street", "street_observer"):
            if t.street != "s1":
                return 404
            return status if who in allowed else 403
        return 403

    return rule


# -- the street's own pool, its inbox and what it does about a community's need ---------------------------


def street_organisation(w: World, t: Target, fresh: bool) -> Case:
    body = {"id": w.new_id("pool-org"), "kind": "social_organisation", "name": "街道志愿队"}
    return Case(
        f"{V1}/streets/{t.street}/organisations",
        body,
        look=lambda: w.look(t.community, f"/streets/{t.street}/organisations"),
    )


def street_resource(w: World, t: Target, fresh: bool) -> Case:
    # A capability no fixture asks for, far from SPOT: the street's pool never changes a fixture's plan.
    body = {
        "id": w.new_id("pool-tent"),
        "organisation": STREET_ORG,
        "capability": "shelter.tent",
        "quantity": 1,
        "location": "g0_0",
    }
    return Case(
        f"{V1}/streets/{t.street}/resources",
        body,
        look=lambda: w.look(t.community, f"/streets/{t.street}/resources"),
    )


def update_street_resource(w: World, t: Target, fresh: bool) -> Case:
    made = street_resource(w, t, fresh).body
    if t.street == "s1":
        w.admin[t.community].ok("POST", f"/streets/{t.street}/resources", made)
    path = f"/streets/{t.street}/resources/{made['id']}"
    return Case(V1 + path, {"quantity": 2}, look=lambda: w.look(t.community, path))


def create_street(w: World, t: Target, fresh: bool) -> Case:
    # s1 is registered by the fixture: its staff are told so (409), everyone else may not (403).
    body = {"id": t.street, "name": "街道", "profile": PROFILE, "map": MAP}
    return Case(f"{V1}/streets", body, look=lambda: w.look(t.community, f"/streets/{t.street}"))


def assign_need(w: World, t: Target, fresh: bool) -> Case:
    """Units of the need's own community sent by hand by the street, for a need only proposed for."""
    c = t.community
    need_id, _ = w.dispatch(t, "proposed")
    path = f"/communities/{c}/needs/{need_id}"
    name = "fleet" if t.owner == "boats" else "water"
    return Case(
        V1 + path + "/assign",
        {"resource": f"{c}-{name}", "quantity": 1},
        look=lambda: w.look(c, path),
        cleanup=lambda _: w.cancel(c, need_id),
    )


def answer_need(w: World, t: Target, fresh: bool) -> Case:
    """An escalated need, for the street's answer."""
    c = t.community
    need_id, _ = w.dispatch(t, "notified")
    w.admin[c].ok("POST", f"/communities/{c}/needs/{need_id}/escalate", {})
    path = f"/communities/{c}/needs/{need_id}"
    return Case(
        V1 + path + "/answer",
        {"answer": "no_help", "note": "街道暂无可派力量"},
        look=lambda: w.look(c, path),
        cleanup=lambda _: w.cancel(c, need_id),
    )


def street_answered(w: World, t: Target, fresh: bool) -> Case:
    """An item of the community's attention bar (the street's answer to an escalated need), to open."""
    c = t.community
    answer = answer_need(w, t, fresh)
    w.admin[c].ok("POST", answer.path.removeprefix(V1), answer.body)
    need_id = answer.path.split("/")[-2]
    listing = f"/communities/{c}/attention?opened=true"
    return Case(
        f"{V1}/communities/{c}/attention/{need_id}-answer1/open",
        look=lambda: w.heads[c].ok("GET", listing),
        cleanup=answer.cleanup,
    )


AREA_CODES = "code,street,community,name\n1001,s1,c1,\n1002,s1,c2,\n2001,s2,c3,\n"
CODE_OF = {"c1": "1001", "c2": "1002", "c3": "2001"}


def send_warning(w: World, t: Target, fresh: bool) -> Case:
    """A warning for ``t``'s community, as a CAP alert; only street staff (of that street) reach it."""
    identifier = w.new_id("w")
    c = t.community
    return Case(
        f"{V1}/warnings",
        alert(identifier, geocode(CODE_OF[c]), severity="Severe"),
        look=lambda: w.look(c, f"/communities/{c}/warnings"),
    )


def warning_sender(who: str, t: Target) -> int:
    """Street staff send warnings (one for another street's community reaches nobody: still 200)."""
    return 200 if who == "street" else 403


def warning(decide: str) -> Prepare:
    """An open proposal in ``t``'s community (its warning sent by a system token), to accept or dismiss; the
    communities are in incident mode already here, so accepting joins the open incident."""

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        c = t.community
        identifier = w.new_id("w")
        sent = w.system.post(
            f"{w.server.url}{V1}/warnings",
            content=alert(identifier, geocode(CODE_OF[c]), severity="Severe"),
            headers=MEDIA,
        )
        assert sent.status_code == 200 and sent.json()["communities"], sent.text
        return Case(
            f"{V1}/communities/{c}/warnings/{quote(sent.json()['id'], safe='')}/{decide}",
            {},
            look=lambda: w.look(c, f"/communities/{c}/warnings"),
        )

    return prepare


def new_token(street: bool) -> Prepare:
    """A token made for a new observer of ``t``'s community (``street``: of its street)."""

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        listing = f"/streets/{t.street}/tokens" if street else f"/communities/{t.community}/tokens"
        return Case(
            f"{V1}{listing}",
            {"role": "observer", "name": w.new_id("viewer")},
            look=lambda: len(w.admin[t.community].ok("GET", listing)),
        )

    return prepare


def rename_organisation(street: bool) -> Prepare:
    """A new name for an organisation of ``t``'s community (``street``: of its street's own pool)."""

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        path = (
            f"/streets/{t.street}/organisations/{STREET_ORG}"
            if street
            else (f"/communities/{t.community}/organisations/{t.organisation}")
        )
        listing = (
            f"/streets/{t.street}/organisations" if street else f"/communities/{t.community}/organisations"
        )
        return Case(V1 + path, {"name": w.new_id("名")}, look=lambda: w.look(t.community, listing))

    return prepare


def import_street_pool(w: World, t: Target, fresh: bool) -> Case:
    """A CSV of one new organisation of the street's own pool, with a tent no fixture asks for."""
    organisation = w.new_id("street-pool")
    data = f"组织编号,组织类型,资源编号,能力,数量,位置\r\n{organisation},社会组织,{organisation}-tent,shelter.tent,1,g0_0\r\n"
    return Case(
        f"{V1}/streets/{t.street}/pool/import",
        data.encode(),
        look=lambda: w.look(t.community, f"/streets/{t.street}/organisations"),
    )


def offer_help(w: World, t: Target, fresh: bool) -> Case:
    """A need of the other community of the street, which the street asked ``t``'s community to help with."""
    c = t.community
    if c == "c3":
        # Street s2 has one community: nobody asks it; every principal here is told there is no such request.
        return Case(f"{V1}/communities/c3/requests/c1/none/offer", {"resource": "c3-fleet", "quantity": 1})
    asking = "c2" if c == "c1" else "c1"
    need_id, _ = w.dispatch(Target(asking, "boats"), "proposed")
    w.admin[asking].ok("POST", f"/communities/{asking}/needs/{need_id}/escalate", {})
    w.admin[asking].ok(
        "POST", f"/communities/{asking}/needs/{need_id}/answer", {"answer": "asked", "community": c}
    )
    path = f"/communities/{asking}/needs/{need_id}"
    return Case(
        f"{V1}/communities/{c}/requests/{asking}/{need_id}/offer",
        {"resource": f"{c}-fleet", "quantity": 1},
        look=lambda: w.look(asking, path),
        cleanup=lambda _: w.cancel(asking, need_id),
    )


def health(w: World, t: Target, fresh: bool) -> Case:
    return Case("/healthz")


def revoke(street: bool) -> Prepare:
    """An observer's token of ``t``'s community (``street``: of its street) to revoke, new for each success."""

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        listing = f"/streets/{t.street}/tokens" if street else f"/communities/{t.community}/tokens"
        name = w.new_id("holder")
        binding = {"street": t.street} if street else {"community": t.community}
        w.server.token(Role.OBSERVER, name=name, **binding)
        [number] = [x["id"] for x in w.admin[t.community].ok("GET", listing) if x["name"] == name]
        return Case(f"{V1}{listing}/{number}/revoke", look=lambda: w.look(t.community, listing))

    return prepare


def new_link(street: bool) -> Prepare:
    """A sign-in link made for a new observer of ``t``'s community (``street``: of its street)."""

    def prepare(w: World, t: Target, fresh: bool) -> Case:
        place = f"/streets/{t.street}" if street else f"/communities/{t.community}"
        return Case(f"{V1}{place}/signin-links", {"role": "observer", "name": w.new_id("linked")})

    return prepare


def use_link(w: World, t: Target, fresh: bool) -> Case:
    """A fresh code, traded by anyone who holds it (no token needed: the code is the proof)."""
    link = w.admin["c1"].ok(
        "POST", "/communities/c1/signin-links", {"role": "observer", "name": w.new_id("in")}
    )
    return Case(f"{V1}/signin", {"code": link["link"].split("#signin=", 1)[1]})


def sign_out(w: World, t: Target, fresh: bool) -> Case:
    """Signing out revokes the caller's own token: the cleanup gives it back, for the rows after this one."""

    def reinstate(response: httpx.Response) -> None:
        token = response.request.headers["authorization"].removeprefix("Bearer ")
        engine = database.connect(database.default_url(w.server.data_dir))
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE api_token SET revoked_at = NULL, revoked_by = NULL WHERE token_hash = :h"),
                {"h": hash_secret(token)},
            )
        engine.dispose()

    return Case(f"{V1}/signout", cleanup=reinstate)


A = "/api/v1/communities/{community}"
S = "/api/v1/streets/{street}"
STREET_ORG = "s1-pool"
ALL = (200, 200, 200, 200, 200, 200)
STREET_STAFF = (200, 403, 403, 403, 403, 403)  # the street's staff alone
READERS = (200, 200, 403, 200, 200, 200)  # everyone but an organisation
MANAGERS = (200, 200, 403, 403, 403, 403)  # the community's cadres and its street
# With the head and the captain:       street cadre org  grid  obs  st.obs head captain
EVERYONE_BUT_ORGANISATIONS = (200, 200, 403, 200, 200, 200, 200, 200)
PEOPLE_KEEPERS = (200, 403, 403, 403, 403, 403, 200, 403)  # the street and the community head
HOUSEHOLD_KEEPERS = (200, 200, 403, 200, 403, 403, 200, 403)  # street, cadres, the household's grid worker
CHECK_REPORTERS = (403, 200, 403, 200, 403, 403, 200, 200)  # cadres, its grid worker, its building's captain
TASK_READERS = (200, 200, 403, 403, 200, 200, 200, 403)  # street, cadres, observers
# A task with a part of the grid worker's: they see it; a captain and an organisation do not know of it.
TASK_SEERS = (200, 200, 404, 200, 200, 200, 200, 404)
# Residents' appeals are handled by the community's cadres (the head too) and its street; anyone else who may
# see the community is told it is not there (an appeal's number says nothing to them).
APPEAL_HANDLERS = (200, 200, 404, 404, 404, 404, 200, 404)
REPORTERS = (200, 200, 403, 200, 403, 403)  # managers and grid workers
RESPONDERS = (200, 200, 200, 403, 403, 403)  # managers recording progress, and the organisation itself

# fmt: off
ROWS = (
    #   method   route                                  street cadre  org   grid  obs  st.obs
    Row("GET",   "/healthz",                                  ALL, health, no_token=200, scoped=False),
    Row("GET",   "/api/v1/me",                                ALL, lambda w, t, f: Case(f"{V1}/me"), scoped=False),
    Row("GET",   "/api/v1/communities",                       ALL, lambda w, t, f: Case(f"{V1}/communities"), scoped=False),
    Row("POST",  "/api/v1/communities",                       (201, 403, 403, 403, 403, 403), create_community, changes=True, hidden=403),
    Row("GET",   A,                                           ALL, at()),
    Row("GET",   A + "/profile",                              ALL, at("/profile")),
    Row("PUT",   A + "/profile",                              MANAGERS, change_profile, changes=True),
    Row("POST",  A + "/profile/relax",                        MANAGERS, relax_rule, changes=True),
    Row("GET",   A + "/map",                                  ALL, at("/map")),
    Row("GET",   A + "/map/routes",                           ALL, at("/map/routes")),
    Row("GET",   A + "/places",                               ALL, at("/places")),
    Row("GET",   A + "/organisations",                        ALL, at("/organisations")),
    Row("POST",  A + "/organisations",                        (201, 201, 403, 403, 403, 403), create_organisation, changes=True),
    Row("GET",   A + "/organisations/{organisation}",         ALL, organisation, owned=True),
    Row("PATCH", A + "/organisations/{organisation}",         MANAGERS, rename_organisation(street=False), changes=True, owned=True, foreign=403),
    Row("GET",   A + "/resources",                            ALL, at("/resources")),
    # An organisation registers its own resources; one for another organisation is refused, not hidden.
    Row("POST",  A + "/resources",                            (201, 201, 201, 403, 403, 403), create_resource, changes=True, owned=True, foreign=403),
    Row("GET",   A + "/resources/{resource}",                 ALL, resource, owned=True),
    Row("PATCH", A + "/resources/{resource}",                 RESPONDERS, update_resource, changes=True, owned=True),
    # pool import/export
    Row("GET",   A + "/pool.xlsx",                            MANAGERS, at("/pool.xlsx")),
    Row("GET",   A + "/pool.csv",                             MANAGERS, at("/pool.csv")),
    Row("POST",  A + "/pool/import",                          MANAGERS, import_pool, changes=True),
    Row("GET",   A + "/needs",                                ALL, at("/needs")),
    Row("POST",  A + "/needs",                                (201, 201, 403, 201, 403, 403), create_need, changes=True),
    Row("GET",   A + "/needs/{need}",                         ALL, need, owned=True),
    Row("PATCH", A + "/needs/{need}",                         REPORTERS, change_need("", {"note": "checked"}), changes=True, owned=True),
    Row("POST",  A + "/needs/{need}/cancel",                  REPORTERS, change_need("/cancel", {"reason": "matrix"}), changes=True, owned=True),
    Row("POST",  A + "/needs/{need}/escalate",                MANAGERS, change_need("/escalate", None), changes=True, owned=True),
    Row("GET",   A + "/incidents",                            ALL, at("/incidents")),
    Row("POST",  A + "/incidents",                            (201, 201, 403, 403, 403, 403), trigger_incident, changes=True),
    Row("GET",   A + "/incidents/{incident}",                 ALL, incident),
    Row("POST",  A + "/incidents/{incident}/level",           MANAGERS, incident_action("/level", {"level": 3}), changes=True),
    Row("POST",  A + "/incidents/{incident}/close",           MANAGERS, incident_action("/close", None), changes=True),
    Row("GET",   A + "/plan",                                 READERS, at("/plan")),
    Row("GET",   A + "/plans",                                READERS, at("/plans")),
    Row("GET",   A + "/plans/{version}",                      READERS, at("/plans/1")),
    Row("GET",   A + "/incidents/{incident}/edxl-rm/request-resource", READERS, export("/edxl-rm/request-resource")),
    Row("GET",   A + "/incidents/{incident}/edxl-rm/commit-resource",  READERS, export("/edxl-rm/commit-resource")),
    Row("GET",   A + "/incidents/{incident}/resource-request.html",    READERS, export("/resource-request.html")),
    # The matrix's communities are on a grid: the readers are told the map has no coordinates.
    Row("GET",   A + "/geojson",                              (409, 409, 403, 409, 409, 409), at("/geojson")),
    Row("GET",   A + "/assignments",                          ALL, at("/assignments")),
    # The attention bar: every role reads its own (a grid worker's holds the needs they reported, a captain's is
    # empty); the community's items are opened by its cadres, never by observers; the street and organisations
    # have items of their own.
    Row("GET",   A + "/attention",                            (200,) * 8, at("/attention")),
    # Warnings: every role of the community but organisations reads them; its cadres and the street decide.
    Row("GET",   A + "/warnings",                             (200, 200, 403, 200, 200, 200, 200, 200), at("/warnings")),
    Row("POST",  A + "/warnings/{warning}/accept",            (200, 200, 403, 403, 403, 403, 200, 403), warning("accept"), changes=True),
    Row("POST",  A + "/warnings/{warning}/dismiss",           (200, 200, 403, 403, 403, 403, 200, 403), warning("dismiss"), changes=True),
    Row("POST",  "/api/v1/warnings",                          (200, 403, 403, 403, 403, 403, 403, 403), send_warning, changes=True, rule=warning_sender),
    Row("GET",   S + "/warnings",                             (200,) * 8, street_at("/warnings"), rule=street_route(("street", "street_observer"), 200)),
    Row("POST",  A + "/attention/{item}/open",                (404, 200, 404, 404, 403, 404, 200, 403), street_answered, changes=True),
    Row("GET",   A + "/assignments/{assignment}",             ALL, assignment, owned=True),
    Row("POST",  A + "/assignments/{assignment}/override",    MANAGERS, dispatch_action("notified", "/override", lambda t: {"resource": f"{t.community}-{'fleet' if t.owner == 'boats' else 'water'}"}), changes=True, owned=True),
    # A proposal is not the organisation's business yet: it cannot see it at all.
    Row("POST",  A + "/assignments/{assignment}/confirm",     (200, 200, 404, 403, 403, 403), dispatch_action("proposed", "/confirm"), changes=True, owned=True),
    Row("POST",  A + "/assignments/confirm",                  (200, 200, 404, 403, 403, 403), confirm_many, changes=True, owned=True),
    Row("POST",  A + "/assignments/{assignment}/acknowledge", (403, 403, 200, 403, 403, 403), dispatch_action("notified", "/acknowledge"), changes=True, owned=True),
    Row("POST",  A + "/assignments/{assignment}/decline",     (403, 403, 200, 403, 403, 403), dispatch_action("notified", "/decline"), changes=True, owned=True),
    Row("POST",  A + "/assignments/{assignment}/en-route",    RESPONDERS, dispatch_action("notified", "/en-route"), changes=True, owned=True),
    Row("POST",  A + "/assignments/{assignment}/on-site",     RESPONDERS, dispatch_action("en_route", "/on-site"), changes=True, owned=True),
    Row("POST",  A + "/assignments/{assignment}/done",        RESPONDERS, dispatch_action("en_route", "/done"), changes=True, owned=True),
    Row("POST",  A + "/assignments/{assignment}/no-road",     RESPONDERS, dispatch_action("notified", "/no-road"), changes=True, owned=True),
    Row("GET",   A + "/roads/closed",                         ALL, at("/roads/closed")),
    Row("POST",  A + "/roads/close",                          REPORTERS, road("close"), changes=True),
    Row("POST",  A + "/roads/reopen",                         REPORTERS, road("reopen"), changes=True),
    Row("GET",   A + "/events",                               READERS, at("/events")),
    # People: everyone who reads the community but organisations; kept by the street and the head.
    Row("GET",   A + "/members",                              EVERYONE_BUT_ORGANISATIONS, at("/members")),
    Row("PUT",   A + "/members/{member}",                     PEOPLE_KEEPERS, save_place("members", {"name": "新人", "role": "cadre"}), changes=True),
    Row("GET",   A + "/grids",                                EVERYONE_BUT_ORGANISATIONS, at("/grids")),
    Row("PUT",   A + "/grids/{grid}",                         PEOPLE_KEEPERS, save_place("grids", {"name": "新网格"}), changes=True),
    Row("GET",   A + "/buildings",                            EVERYONE_BUT_ORGANISATIONS, at("/buildings")),
    Row("PUT",   A + "/buildings/{building}",                 PEOPLE_KEEPERS, save_place("buildings", {"name": "新楼", "grid": "g2", "location": "g3_3"}), changes=True),
    # Households (hh is in the grid worker's grid and the captain's building) and the incident's checks.
    Row("GET",   A + "/households",                           EVERYONE_BUT_ORGANISATIONS, at("/households")),
    Row("GET",   A + "/households/{household}",               EVERYONE_BUT_ORGANISATIONS, household),
    Row("PUT",   A + "/households/{household}",               HOUSEHOLD_KEEPERS, edit_household, changes=True),
    Row("DELETE", A + "/households/{household}",              HOUSEHOLD_KEEPERS, remove_household, changes=True),
    Row("GET",   A + "/checks",                               EVERYONE_BUT_ORGANISATIONS, at("/checks")),
    Row("POST",  A + "/checks/{household}",                   CHECK_REPORTERS, report_check, changes=True),
    # Street tasks: issued by the street, split by the head, submitted by the assignee (or the head),
    # reviewed by the street (this profile's default). A grid worker sees a task once a part is theirs: not
    # yet when it is to be split.
    Row("POST",  "/api/v1/streets/{street}/tasks",            (201,) * 8, issue_task, changes=True, rule=street_route(("street",), 201)),
    Row("GET",   A + "/tasks",                                ALL, at("/tasks")),
    Row("GET",   A + "/tasks/{task}",                         TASK_SEERS, task_action("", None)),
    Row("PUT",   A + "/tasks/{task}/parts",                   (403, 403, 404, 404, 403, 403, 200, 404), task_action("/parts", {"parts": [{"title": "全部", "assignee": ASSIGNEE, "points": 10}]}, split=False), changes=True),
    Row("POST",  A + "/tasks/{task}/parts/{part}/submission", (403, 403, 404, 200, 403, 403, 200, 404), task_action("/parts/p1/submission", {"text": "完成"}), changes=True),
    Row("POST",  A + "/tasks/{task}/parts/{part}/review",     (200, 403, 404, 403, 403, 403, 403, 404), task_action("/parts/p1/review", {"verdict": "accept"}, submit=True), changes=True),
    Row("GET",   A + "/photos/{photo}",                       TASK_SEERS, photo),
    # Residents' appeals: handled by the community's cadres and its street; a work order's grid worker sees it
    # and marks it done; organisations, observers and captains (residents) never see one.
    Row("GET",   A + "/appeals",                              (200, 200, 403, 200, 403, 403, 200, 403), at("/appeals")),
    Row("GET",   A + "/appeals/{appeal}",                     (200, 200, 404, 200, 404, 404, 200, 404), appeal_action("", None, order=True)),
    Row("POST",  A + "/appeals/{appeal}/need",                APPEAL_HANDLERS, appeal_action("/need", {"capability": "rescue.boat"}), changes=True),
    Row("POST",  A + "/appeals/{appeal}/order",               APPEAL_HANDLERS, appeal_action("/order", {"member": WORKER}), changes=True),
    Row("POST",  A + "/appeals/{appeal}/reply",               APPEAL_HANDLERS, appeal_action("/reply", {"text": "收到"}), changes=True),
    Row("POST",  A + "/appeals/{appeal}/merge",               APPEAL_HANDLERS, merge_appeal, changes=True),
    Row("POST",  A + "/appeals/{appeal}/done",                (200, 200, 404, 200, 404, 404, 200, 404), appeal_action("/done", {"note": "修好了"}, order=True), changes=True),
    Row("GET",   A + "/codes",                                (200, 200, 403, 403, 403, 403, 200, 403), at("/codes")),
    Row("POST",  A + "/codes",                                (200, 200, 403, 403, 403, 403, 200, 403), issue_codes, changes=True),
    # The residents' own routes take no token (one sent is ignored): the building's link, or the receipt.
    Row("GET",   "/api/v1/public/buildings/{code}",           (200,) * 8, public_building, no_token=200, scoped=False),
    Row("POST",  "/api/v1/public/buildings/{code}/appeals",   (201,) * 8, public_appeal, changes=True, no_token=201, scoped=False),
    Row("GET",   "/api/v1/public/appeals/{receipt}",          (200,) * 8, public_receipt("", None), no_token=200, scoped=False),
    Row("POST",  "/api/v1/public/appeals/{receipt}/rating",   (200,) * 8, public_receipt("/rating", {"stars": 4}, resolved=True), changes=True, no_token=200, scoped=False),
    Row("GET",   A + "/scores",                               TASK_READERS, at("/scores")),
    Row("GET",   A + "/scores.csv",                           TASK_READERS, at("/scores.csv")),
    Row("GET",   "/api/v1/streets/{street}/scores",           (200,) * 8, street_at("/scores"), rule=street_route(("street", "street_observer"), 200)),
    # The notifiers and how they are doing (a failing one shows on the street's console): the street's staff
    # read the street's; the community's cadres (and its street) those that speak for it.
    Row("GET",   "/api/v1/streets/{street}/notifiers",        (200,) * 8, street_at("/notifiers"), rule=street_route(("street",), 200)),
    Row("GET",   A + "/notifiers",                            MANAGERS, at("/notifiers")),
    Row("GET",   "/api/v1/streets/{street}/scores.csv",       (200,) * 8, street_at("/scores.csv"), rule=street_route(("street", "street_observer"), 200)),
    # contributions: each organisation's jobs and missed calls. The street's table for its staff and observers;
    # a community's for the street, its cadres and observers (as its scores); never an organisation.
    Row("GET",   "/api/v1/streets/{street}/contributions",    (200,) * 8, street_at("/contributions"), rule=street_route(("street", "street_observer"), 200)),
    Row("GET",   "/api/v1/streets/{street}/contributions.csv", (200,) * 8, street_at("/contributions.csv"), rule=street_route(("street", "street_observer"), 200)),
    Row("GET",   A + "/contributions",                        TASK_READERS, at("/contributions")),
    # Tokens: the street and the community head keep the community's; street staff their street's own.
    Row("GET",   A + "/tokens",                               PEOPLE_KEEPERS, at("/tokens")),
    Row("POST",  A + "/tokens/{token}/revoke",                PEOPLE_KEEPERS, revoke(street=False), changes=True),
    Row("GET",   "/api/v1/streets/{street}/tokens",           (200,) * 8, street_at("/tokens"), rule=street_route(("street",), 200)),
    Row("POST",  "/api/v1/streets/{street}/tokens/{token}/revoke", (200,) * 8, revoke(street=True), changes=True, rule=street_route(("street",), 200)),
    # The street's own pool and inbox; the street's actions on a community's need (approve: this dispatch
    # does not wait for approval, so the street's staff get 409 past the access check).
    Row("POST",  A + "/tokens",                               (201, 403, 403, 403, 403, 403, 201, 403), new_token(street=False), changes=True),
    Row("POST",  "/api/v1/streets/{street}/tokens",           (201,) * 8, new_token(street=True), changes=True, rule=street_route(("street",), 201)),
    # Sign-in links: made by those who give out tokens; traded by whoever holds one; signing out is everyone's.
    Row("POST",  A + "/signin-links",                         (201, 403, 403, 403, 403, 403, 201, 403), new_link(street=False), changes=True),
    Row("POST",  S + "/signin-links",                         (201,) * 8, new_link(street=True), changes=True, rule=street_route(("street",), 201)),
    Row("POST",  "/api/v1/signin",                            ALL, use_link, changes=True, no_token=200, scoped=False),
    Row("POST",  "/api/v1/signout",                           (204,) * 6, sign_out, changes=True, scoped=False),
    Row("POST",  "/api/v1/streets",                           (409, 403, 403, 403, 403, 403), create_street, scoped=False),
    Row("GET",   S,                                           (200,) * 8, street_at(""), rule=street_route(("street", "street_observer"), 200)),
    Row("GET",   S + "/organisations",                        (200,) * 8, street_at("/organisations"), rule=street_route(("street", "street_observer"), 200)),
    Row("POST",  S + "/organisations",                        (201,) * 8, street_organisation, changes=True, rule=street_route(("street",), 201)),
    Row("PATCH", S + "/organisations/{organisation}",         (200,) * 8, rename_organisation(street=True), changes=True, rule=street_route(("street",), 200)),
    Row("GET",   S + "/resources",                            (200,) * 8, street_at("/resources"), rule=street_route(("street", "street_observer"), 200)),
    Row("POST",  S + "/resources",                            (201,) * 8, street_resource, changes=True, rule=street_route(("street",), 201)),
    Row("PATCH", S + "/resources/{resource}",                 (200,) * 8, update_street_resource, changes=True, rule=street_route(("street",), 200)),
    Row("GET",   S + "/pool.xlsx",                            (200,) * 8, street_at("/pool.xlsx"), rule=street_route(("street",), 200)),
    Row("GET",   S + "/pool.csv",                             (200,) * 8, street_at("/pool.csv"), rule=street_route(("street",), 200)),
    Row("POST",  S + "/pool/import",                          (200,) * 8, import_street_pool, changes=True, rule=street_route(("street",), 200)),
    Row("GET",   S + "/inbox",                                (200,) * 8, street_at("/inbox"), rule=street_route(("street", "street_observer"), 200)),
    Row("GET",   S + "/pool",                                 (200,) * 8, street_at("/pool"), rule=street_route(("street", "street_observer"), 200)),
    Row("GET",   S + "/places",                               (200,) * 8, street_at("/places"), rule=street_route(("street", "street_observer"), 200)),
    Row("POST",  A + "/assignments/{assignment}/approve",     (409, 403, 403, 403, 403, 403), dispatch_action("notified", "/approve", lambda t: {"note": "同意"}), owned=True, foreign=403),
    Row("POST",  A + "/needs/{need}/assign",                  STREET_STAFF, assign_need, changes=True, owned=True, foreign=403),
    Row("POST",  A + "/needs/{need}/answer",                  STREET_STAFF, answer_need, changes=True, owned=True, foreign=403),
    # A community the street asked to help: its cadres (and the street) see the request and send a unit.
    Row("GET",   A + "/requests",                             MANAGERS, at("/requests")),
    Row("POST",  A + "/requests/{asking}/{need}/offer",       MANAGERS, offer_help, changes=True),
)
# fmt: on


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server, with no limit on failed authentications: every row sends forged and missing
    tokens from one address."""
    data = Path(tmp_path_factory.mktemp("matrix"))
    # Each community its own administrative code, for the warnings' rows.
    (data / "codes.csv").write_text(AREA_CODES, encoding="utf-8")
    s = Server(data, extra=[*UNTHROTTLED, "--area-codes", str(data / "codes.csv")]).start()
    build_world(s)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    (server.data_dir / "profiles" / f"{PROFILE}.yaml").write_text(QUIET, encoding="utf-8")
    w = World(server)
    for c in ("c1", "c2", "c3"):
        admin = w.admin[c]
        admin.ok("PUT", f"/communities/{c}/profile", {"profile": PROFILE})
        fleet = {
            "id": f"{c}-fleet",
            "organisation": f"{c}-boats",
            "capability": "rescue.boat",
            "quantity": 500,
        }
        admin.ok("POST", f"/communities/{c}/resources", {**fleet, "location": SPOT})
        admin.ok("POST", f"/communities/{c}/incidents", {"kind": "flood", "level": 2})
    # Street s1's own pool (one organisation, no units yet: nothing it holds changes a fixture's plan).
    w.admin["c1"].ok("POST", "/streets", {"id": "s1", "name": "一街道", "profile": PROFILE, "map": MAP})
    w.admin["c1"].ok("POST", "/streets/s1/organisations", {"id": STREET_ORG, "kind": "social_organisation"})
    # A first plan in every community, so that /plan and /plans/1 have something to show.
    for t in (OWN, SAME_STREET, OTHER_STREET):
        w.dispatch(t, "proposed")
    for c in ("c1", "c2", "c3"):
        admin = w.admin[c]
        for grid in ("g1", "g2"):
            admin.ok("PUT", f"/communities/{c}/grids/{grid}", {"name": grid})
        admin.ok("PUT", f"/communities/{c}/buildings/b1", {"name": "1号楼", "grid": "g1", "location": "g1_1"})
        admin.ok("PUT", f"/communities/{c}/buildings/b2", {"name": "2号楼", "grid": "g2", "location": "g3_3"})
        for member, body in (
            (HEAD, {"name": "书记", "role": "head"}),
            (ASSIGNEE, {"name": "干部", "role": "cadre"}),
            (WORKER, {"name": "网格员", "role": "grid_worker", "grid": "g1"}),
            (CAPTAIN, {"name": "楼长", "role": "captain", "building": "b1"}),
        ):
            admin.ok("PUT", f"/communities/{c}/members/{member}", body)
        # Saved during the incident: a check is issued for it at once.
        admin.ok("PUT", f"/communities/{c}/households/hh", HOUSEHOLD)
        assert [k["household"]["id"] for k in admin.ok("GET", f"/communities/{c}/checks")["checks"]] == ["hh"]
    yield w
    for client in w.clients.values():
        client.close()


def test_every_route_has_a_row(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    served = {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops}
    table = [row.key for row in ROWS]
    assert len(table) == len(set(table)), "a route has two rows"
    assert served - set(table) == set(), "routes with no row in the access matrix: say who may use them"
    assert set(table) - served == set(), "rows for routes the server does not serve"


@pytest.mark.parametrize("row", ROWS, ids=[row.key for row in ROWS])
def test_access_matrix(world: World, row: Row) -> None:
    wrong: list[str] = []
    shared: dict[Target, Case] = {}
    for t in row.targets:
        for who in (*ROLES, *NO_TOKEN):
            want = expected(row, who, t)
            if row.changes and want < 300:
                case = row.prepare(world, t, True)
            else:
                if t not in shared:
                    shared[t] = row.prepare(world, t, False)
                case = shared[t]
            before = case.look() if case.look is not None and want >= 300 else None
            response = world.request(who, row.method, case.path, case.body)
            got = response.status_code
            if got != want:
                wrong.append(f"{who} on {t} ({case.path}): {got}, expected {want}: {response.text[:300]}")
            elif got >= 400 and not (
                response.headers["content-type"].startswith("application/problem+json")
                and response.json()["status"] == got
            ):
                wrong.append(f"{who} on {t}: a refusal that is not problem details: {response.text[:300]}")
            if case.look is not None and want >= 300 and case.look() != before:
                wrong.append(f"{who} on {t}: refused ({got}) but {case.path} changed")
            if row.changes and got < 300:
                case.cleanup(response)
    assert wrong == [], "\n".join(wrong)


# -- what an organisation sees in its own community ----------------------------------------------------


def test_an_organisation_sees_only_its_own_share(world: World) -> None:
    proposed_need, proposed = world.dispatch(OWN, "proposed")
    sent_need, sent = world.dispatch(OWN, "notified")
    other_need, other = world.dispatch(OTHER_ORG, "notified")

    def ids(path: str) -> set[str]:
        response = world.request("organisation", "GET", f"{V1}/communities/c1/{path}")
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()}

    assert ids("organisations") == {"c1-boats"}
    resources = world.request("organisation", "GET", f"{V1}/communities/c1/resources").json()
    assert {r["organisation"] for r in resources} == {"c1-boats"} and "c1-fleet" in {
        r["id"] for r in resources
    }
    dispatches = ids("assignments")
    assert sent in dispatches and proposed not in dispatches and other not in dispatches
    needs = ids("needs")
    assert sent_need in needs and proposed_need not in needs and other_need not in needs
    # The street sees all of them, to be sure they exist.
    assert {proposed, sent, other} <= {
        d["id"] for d in world.admin["c1"].ok("GET", "/communities/c1/assignments")
    }
    for path in (
        f"assignments/{proposed}",
        f"needs/{proposed_need}",
        f"assignments/{other}",
        f"needs/{other_need}",
    ):
        assert world.request("organisation", "GET", f"{V1}/communities/c1/{path}").status_code == 404, path


def test_not_found_says_the_same_for_hidden_and_missing(world: World) -> None:
    """A refusal for an object one may not see reads exactly like one for an object that does not exist."""

    def same(who: str, method: str, hidden: str, missing: str, body: Any = None) -> None:
        a = world.request(who, method, V1 + hidden, body)
        b = world.request(who, method, V1 + missing, body)
        assert a.status_code == b.status_code == 404
        assert dict(a.headers).keys() == dict(b.headers).keys()
        assert a.json()["title"] == b.json()["title"]
        assert a.json()["detail"].replace("c3", "zz") == b.json()["detail"]

    same("cadre", "GET", "/communities/c3", "/communities/zz")
    same("cadre", "POST", "/communities/c3/needs", "/communities/zz/needs", world.need(OTHER_STREET))
    same("street", "GET", "/communities/c3/events", "/communities/zz/events")
    a = world.request("organisation", "GET", f"{V1}/communities/c1/resources/c1-water").json()
    b = world.request("organisation", "GET", f"{V1}/communities/c1/resources/c1-nothing").json()
    assert a["detail"].replace("c1-water", "c1-nothing") == b["detail"]


# -- residents' phone numbers ----------------------------------------------------------------------------


def test_phone_numbers_are_shown_only_to_the_cadre_and_the_assigned_organisation(world: World) -> None:
    cadre = world.clients["cadre"]
    unassigned = httpx.Client(
        headers={
            "Authorization": f"Bearer {api_for(world.server, Role.ORGANISATION, organisation='c1-shop').token}"
        }
    )
    reported = cadre.post(
        f"{world.server.url}{V1}/communities/c1/needs", json=world.need(OWN, contact_phone=PHONE)
    )
    assert reported.status_code == 201 and reported.json()["contact_phone"] == PHONE
    need_id = reported.json()["id"]
    path = f"{V1}/communities/c1/needs/{need_id}"

    def phone(who: str | httpx.Client) -> Any:
        client = who if isinstance(who, httpx.Client) else world.clients[who]
        response = client.get(world.server.url + path)
        if response.status_code != 200:
            return response.status_code
        listed = {n["id"]: n for n in client.get(f"{world.server.url}{V1}/communities/c1/needs").json()}
        # The list says what the single read says.
        assert listed[need_id]["contact_phone"] == response.json()["contact_phone"]
        return response.json()["contact_phone"]

    shown = {
        "cadre": PHONE,
        "street": MASKED,
        "grid_worker": MASKED,
        "observer": MASKED,
        "street_observer": MASKED,
    }
    assert {who: phone(who) for who in shown} == shown
    # Before its dispatch is confirmed, the organisation does not know of the need at all.
    assert phone("organisation") == 404
    assert phone(unassigned) == 404
    # The audit log masks it too, except for the cadre.
    for who, want in shown.items():
        log = world.clients[who].get(
            f"{world.server.url}{V1}/communities/c1/events", params={"type": "need_reported", "limit": 1000}
        )
        [event] = [e for e in log.json() if e["data"]["need"]["id"] == need_id]
        assert event["data"]["contact_phone"] == want, who

    [dispatch] = wait_for(
        lambda: [
            d["id"]
            for d in world.admin["c1"].ok("GET", "/communities/c1/assignments")
            if d["need"] == need_id
        ]
    )
    confirmed = cadre.post(f"{world.server.url}{V1}/communities/c1/assignments/{dispatch}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert phone("organisation") == PHONE
    assert phone(unassigned) == 404
    # A grid worker's own report comes back masked: the number is the cadre's to see.
    grid = world.clients["grid_worker"].post(
        f"{world.server.url}{V1}/communities/c1/needs", json=world.need(OWN, contact_phone=PHONE)
    )
    assert grid.status_code == 201 and grid.json()["contact_phone"] == MASKED
    for n in (need_id, grid.json()["id"]):
        world.cancel("c1", n)
    unassigned.close()


# -- websocket channels ----------------------------------------------------------------------------------

#                street cadre org  grid  obs  st.obs head  captain  (on OWN)
CHANNELS = {
    "community": (True, True, False, True, True, True, True, True),
    "incident": (True, True, False, True, True, True, True, True),
    "organisation": (True, True, True, False, False, False, True, False),
    "street": (True, False, False, False, False, True, False, False),
    # Households and checks of grid g1 / building b1: the community's readers, g1's worker, b1's captain.
    "grid": (True, True, False, True, True, True, True, False),
    "building": (True, True, False, False, True, True, True, True),
    # Residents' appeals: the community's cadres and its street's staff only.
    "appeals": (True, True, False, False, False, False, True, False),
    # An organisation of the street's own pool: its own coordinator (tested in test_street.py) and the street.
    "pool_organisation": (True, False, False, False, False, False, False, False),
}


def channel(w: World, kind: str, t: Target) -> str:
    name = {
        "community": t.community,
        "incident": f"{t.community}:{w.incident(t.community)}",
        "organisation": f"{t.community}:{t.organisation}",
        "street": t.street,
        "grid": f"{t.community}:g1",
        "building": f"{t.community}:b1",
        "appeals": t.community,
        "pool_organisation": f"~{t.street}:{STREET_ORG}",
    }[kind]
    return f"{'organisation' if kind == 'pool_organisation' else kind}:{name}"


def allowed(who: str, kind: str, t: Target) -> bool:
    if t.community not in VISIBLE.get(who, {"c1"}):
        return False
    if who == "organisation" and kind == "organisation" and t.owner != "boats":
        return False
    return CHANNELS[kind][ROLES.index(who)]


def test_channel_matrix(world: World) -> None:
    cells = [
        (kind, t, channel(world, kind, t))
        for kind in CHANNELS
        for t in (OWN, OTHER_ORG, SAME_STREET, OTHER_STREET)
        if kind == "organisation" or t != OTHER_ORG
    ]

    async def one(who: str) -> list[str]:
        wrong = []
        client = await Client(world.server.ws_url, world.tokens[who]).open()
        for kind, t, name in cells:
            reply = await client.subscribe(name)
            want = "subscribed" if allowed(who, kind, t) else "error"
            if reply["type"] != want:
                wrong.append(f"{who} on {name}: {reply}, expected {want}")
        # A refused channel sends nothing: every channel message that came is on an allowed channel.
        await client.drain(0.2)
        granted = {name for kind, t, name in cells if allowed(who, kind, t)}
        strays = {m["channel"] for m in client.received if "seq" in m} - granted
        if strays:
            wrong.append(f"{who} got messages on {sorted(strays)}")
        await client.close()
        return wrong

    async def run() -> list[str]:
        # Every role on its own connection, all at once.
        return [w for wrong in await asyncio.gather(*(one(who) for who in ROLES)) for w in wrong]

    assert asyncio.run(run()) == []


def may_see_phones(who: str, name: str) -> bool:
    """Residents' phones in clear: the community's cadres, and the organisation assigned, on its own channel."""
    if who in ("cadre", "head"):
        return name.split(":")[1] == "c1"
    return who == "organisation" and name == "organisation:c1:c1-boats"


def test_no_channel_shows_a_phone_or_a_name_to_anyone_not_allowed(world: World) -> None:
    """Every message of every channel each role may subscribe to, in replay, snapshot and live, scanned for
    the residents' phone and the household's contact name in clear."""
    name = str(HOUSEHOLD["contact"])
    sent: list[tuple[str, str]] = []

    def send_with_phone(t: Target) -> None:
        """A need with the resident's phone, its dispatch confirmed and sent to ``t``'s organisation."""
        admin, c = world.admin[t.community], t.community
        need = admin.ok("POST", f"/communities/{c}/needs", world.need(t, contact_phone=PHONE))["id"]
        [dispatch] = wait_for(
            lambda: [
                d["id"]
                for d in admin.ok("GET", f"/communities/{c}/assignments")
                if d["need"] == need and d["status"] == "proposed"
            ]
        )
        admin.ok("POST", f"/communities/{c}/assignments/{dispatch}/confirm")
        sent.append((c, need))

    for t in (OWN, SAME_STREET, OTHER_STREET):
        send_with_phone(t)
    cells = [
        (kind, t, channel(world, kind, t))
        for kind in CHANNELS
        for t in (OWN, OTHER_ORG, SAME_STREET, OTHER_STREET)
        if kind == "organisation" or t != OTHER_ORG
    ]

    async def run() -> tuple[list[str], set[str]]:
        wrong: list[str] = []
        clear: set[str] = set()
        # Every role on two connections, from seq 0 (every stored message) and from nothing (a snapshot), all
        # open at once: the live messages below reach every one of them, and they are drained together.
        clients: dict[tuple[str, int | None], Client] = {}
        for who in ROLES:
            granted = [n for kind, t, n in cells if allowed(who, kind, t)]
            for start in (0, None):
                client = clients[who, start] = await Client(world.server.ws_url, world.tokens[who]).open()
                for n in granted:
                    assert (await client.subscribe(n, start))["type"] == "subscribed"
        # Live messages too: a new report with a phone, and its dispatch sent.
        for t in (OWN, SAME_STREET, OTHER_STREET):
            await asyncio.to_thread(send_with_phone, t)
        await asyncio.gather(*(client.drain(0.5) for client in clients.values()))
        for (who, _), client in clients.items():
            for message in client.received:
                text = json.dumps(message, ensure_ascii=False)
                where = str(message.get("channel", ""))
                if name in text:
                    wrong.append(f"{who} saw the contact name on {where}")
                if PHONE in text:
                    clear.add(f"{who}@{where}")
                    if not may_see_phones(who, where):
                        wrong.append(f"{who} saw a phone on {where} ({message.get('type')})")
            await client.close()
        return wrong, clear

    wrong, clear = asyncio.run(run())
    assert wrong == []
    # The scan can fail: those allowed did see the phone, so it was there to be found.
    assert {"cadre@community:c1", "organisation@organisation:c1:c1-boats"} <= clear
    for c, need in sent:
        world.cancel(c, need)


def test_websocket_handshake_takes_the_token_from_a_header_or_the_subprotocol_only(world: World) -> None:
    token = world.tokens["cadre"]

    async def refused(url: str, **kw: Any) -> int:
        with pytest.raises(InvalidStatus) as refusal:
            async with connect(url, **kw):
                pass
        return refusal.value.response.status_code

    async def run() -> None:
        url = world.server.ws_url
        assert await refused(url) == 403
        # A token in the URL ends up in proxies' logs: never accepted, whatever the parameter is called.
        for parameter in ("token", "access_token", "authorization"):
            assert await refused(f"{url}?{parameter}={token}") == 403
        assert await refused(url, additional_headers={"Authorization": "Bearer pz_forged"}) == 403
        assert await refused(url, subprotocols=["pingzhan", "bearer.pz_forged"]) == 403
        header = await Client(url, token).open()
        assert (await header.subscribe("community:c1"))["type"] == "subscribed"
        await header.close()
        browser = await Client(url, token, subprotocol=True).open()
        assert browser.connection is not None and browser.connection.subprotocol == "pingzhan"
        assert (await browser.subscribe("community:c1"))["type"] == "subscribed"
        await browser.close()

    asyncio.run(run())


def test_ids_are_the_communitys_own_and_another_communitys_cannot_be_learnt_or_listened_to(
    world: World,
) -> None:
    """An organisation or incident id names something inside its community, and so does its channel
    (organisation:{community}:{id}): the id another community uses is free here, its existence is not
    answered with a conflict, and taking it hears nothing of that community, phones included."""
    cadre = world.clients["cadre"]
    url = world.server.url + V1
    taken = cadre.post(f"{url}/communities/c1/organisations", json={"id": "c3-boats", "kind": "enterprise"})
    assert taken.status_code == 201, taken.text
    world.close_incident("c1")
    c3_incident = world.incident("c3")
    try:
        same = cadre.post(
            f"{url}/communities/c1/incidents", json={"id": c3_incident, "kind": "flood", "level": 2}
        )
        assert same.status_code == 201, same.text
        # An id used before in this community is refused, naming the field: that is the community's own business.
        again = cadre.post(
            f"{url}/communities/c1/organisations", json={"id": "c3-boats", "kind": "enterprise"}
        )
        assert again.status_code == 409 and again.json()["field"] == "organisation.id", again.text

        async def run() -> None:
            listener = await Client(world.server.ws_url, world.tokens["cadre"]).open()
            for name in (
                "community:c1",
                "organisation:c1:c1-boats",
                "organisation:c1:c3-boats",
                f"incident:c1:{c3_incident}",
            ):
                assert (await listener.subscribe(name))["type"] == "subscribed", name
            # The old, global names of c3's channels name nothing.
            for name in ("organisation:c3-boats", f"incident:{c3_incident}", "organisation:c3:c3-boats"):
                assert (await listener.subscribe(name))["type"] == "error", name
            own = api_for(world.server, Role.ORGANISATION, "c3")
            boats = await Client(world.server.ws_url, own.token).open()
            assert (await boats.subscribe("organisation:c3:c3-boats"))["type"] == "subscribed"
            await listener.drain(0.2)
            listener.received.clear()
            # Activity in c3 with a phone number in it: its organisation hears it, c1's cadre none of it.
            c3 = world.admin["c3"]
            reported = c3.ok("POST", "/communities/c3/needs", world.need(OTHER_STREET, contact_phone=PHONE))
            [dispatch] = wait_for(
                lambda: [
                    d["id"]
                    for d in c3.ok("GET", "/communities/c3/assignments")
                    if d["need"] == reported["id"]
                ]
            )
            c3.ok("POST", f"/communities/c3/assignments/{dispatch}/confirm")
            heard = await boats.until(
                lambda m: (
                    m.get("type") == "dispatches" and any(d["id"] == dispatch for d in m["data"]["changed"])
                )
            )
            assert heard["data"]["changed"][0]["need_detail"]["contact_phone"] == PHONE
            told = [json.dumps(m) for m in await listener.drain(0.5)]
            leaked = [m for m in told if reported["id"] in m or PHONE in m or '"c3"' in m]
            assert leaked == []
            world.cancel("c3", reported["id"])
            await listener.close()
            await boats.close()

        asyncio.run(run())
    finally:
        world.close_incident("c1")
        world.reopen_incident("c1")
