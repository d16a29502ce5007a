"""The pool as a spreadsheet through the live service: downloaded as .xlsx and CSV, imported back all at once
or not at all, checked first with a dry run, and only by the community's cadres and its street."""

import csv
import io
from typing import Any
from urllib.parse import quote

import httpx
from openpyxl import load_workbook

from api.auth import Role
from api.pool_file import COLUMNS, MAX_BYTES, XLSX_MEDIA
from tests.api.server import Api, Server, api_for

HEADER = [c.header for c in COLUMNS]
IMPORT = "/communities/c1/pool/import"
CSV = {"Content-Type": "text/csv"}


def csv_file(*rows: list[Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def pool_ids(api: Api, community: str = "c1") -> tuple[list[str], dict[str, int]]:
    organisations = sorted(o["id"] for o in api.ok("GET", f"/communities/{community}/organisations"))
    resources = {r["id"]: r["quantity"] for r in api.ok("GET", f"/communities/{community}/resources")}
    return organisations, resources


def pool_events(api: Api, community: str = "c1") -> list[int]:
    """Positions of the log's pool events (plans come and go on their own: they are not counted)."""
    path = f"/communities/{community}/events?type=organisation_registered&type=resource_saved&limit=1000"
    return [e["position"] for e in api.ok("GET", path)]


def test_the_pool_downloads_as_a_workbook_and_as_csv_with_the_same_rows(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    workbook = cadre.get("/communities/c1/pool.xlsx")
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["content-type"] == XLSX_MEDIA
    disposition = workbook.headers["content-disposition"]
    assert (
        'filename="pool-c1.xlsx"' in disposition
        and f"filename*=UTF-8''{quote('c1社区资源库.xlsx')}" in disposition
    )
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    shown = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert shown[0] == HEADER
    by_resource = {row[3]: row for row in shown[1:]}
    assert by_resource["c1-boat"] == [
        "c1-boats", "boats", "社会组织", "c1-boat", "", "救生艇", "2", "", "横1路与纵1路交叉口", "常态和应急", "可用"
    ]  # fmt: skip
    assert by_resource["c1-water"][2] == "企业"

    text = cadre.get("/communities/c1/pool.csv")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    assert text.content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(text.content.decode("utf-8-sig")))) == shown


def test_a_clean_file_is_imported_at_once_and_again_changes_nothing(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    before = pool_events(street)
    data = csv_file(
        [
            "c1-red",
            "红十字会",
            "社会组织",
            "c1-red-aid",
            "急救箱",
            "急救",
            "3",
            "first_aid",
            "g1_1",
            "应急",
            "可用",
        ],
        ["c1-red", "红十字会", "社会组织", "c1-red-doc", "", "medical.doctor", "1", "", "g1_2", "", ""],
        ["c1-party", "党支部", "党组织", "", "", "", "", "", "", "", ""],
        # c1-boat had 2 units: now 4.
        ["c1-boats", "", "", "c1-boat", "", "救生艇", "4", "", "g0_0", "", ""],
    )
    key = {"Idempotency-Key": "pool-import-1", **CSV}
    first = street.post(IMPORT, content=data, headers=key)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "dry_run": False,
        "rows": 4,
        "organisations": {"added": 2, "unchanged": 1},
        "resources": {"added": 2, "changed": 1, "unchanged": 0},
    }
    organisations, resources = pool_ids(street)
    assert {"c1-red", "c1-party"} <= set(organisations)
    assert (resources["c1-red-aid"], resources["c1-red-doc"], resources["c1-boat"]) == (3, 1, 4)
    aid = street.ok("GET", "/communities/c1/resources/c1-red-aid")
    assert (aid["capability"], aid["modes"], aid["certifications"]) == (
        "medical.first_aid",
        "incident",
        ["first_aid"],
    )
    assert len(pool_events(street)) == len(before) + 5
    # A retry with the same key is answered as the first time; the same file again changes nothing.
    assert street.post(IMPORT, content=data, headers=key).json() == first.json()
    again = street.post(IMPORT, content=data, headers=CSV)
    assert again.status_code == 200, again.text
    assert again.json()["resources"] == {"added": 0, "changed": 0, "unchanged": 3}
    assert len(pool_events(street)) == len(before) + 5


def test_a_dry_run_of_a_workbook_or_a_form_counts_and_writes_nothing(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    exported = cadre.get("/communities/c1/pool.xlsx").content
    before, events = pool_ids(cadre), pool_events(cadre)
    raw = cadre.post(f"{IMPORT}?dry_run=1", content=exported, headers={"Content-Type": XLSX_MEDIA})
    assert raw.status_code == 200, raw.text
    assert raw.json()["dry_run"] is True and raw.json()["resources"]["changed"] == 0
    new = csv_file(["c1-new", "新组织", "企业", "c1-new-van", "", "车辆转移", "1", "", "g3_3", "", ""])
    form = cadre.post(f"{IMPORT}?dry_run=true", files={"file": ("资源库.csv", new, "text/csv")})
    assert form.status_code == 200, form.text
    assert form.json()["organisations"]["added"] == 1 and form.json()["resources"]["added"] == 1
    assert pool_ids(cadre) == before and pool_events(cadre) == events


def test_a_file_with_bad_rows_is_refused_whole_naming_each_row_and_column(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    before, events = pool_ids(cadre), pool_events(cadre)
    data = csv_file(
        # A good new row: not written either, because other rows are wrong.
        ["c1-ok", "好组织", "企业", "c1-ok-water", "", "饮用水", "10", "", "g2_2", "", ""],
        ["c1-bad", "坏组织", "合作社", "c1-bad-1", "", "救生艇", "很多", "", "g2_2", "", ""],
        ["c1-ok", "好组织", "企业", "c1-ok-water", "", "饮用水", "10", "", "g9_9", "", ""],
        ["c1-ok", "好组织", "企业", "c1 boat", "", "冲锋舟", "1", "", "g2_2", "", ""],
    )
    refused = cadre.post(IMPORT, content=data, headers=CSV)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    found = [(e["row"], e["column"], e["value"]) for e in body["errors"]]
    assert found == [
        (3, "组织类型", "合作社"),
        (3, "数量", "很多"),
        (4, "资源编号", "c1-ok-water"),
        (4, "位置", "g9_9"),
        (5, "资源编号", "c1 boat"),
        (5, "能力", "冲锋舟"),
    ]
    assert body["problems"] == 6 and "nothing was imported" in body["detail"]
    assert all(
        e["problem"] and e["field"] == e["column"] and f"第 {e['row']} 行" in e["message"]
        for e in body["errors"]
    )
    assert pool_ids(cadre) == before and pool_events(cadre) == events


def test_only_the_communitys_cadres_and_street_may_download_or_import(server: Server) -> None:
    data = csv_file(["c1-x", "", "企业", "", "", "", "", "", "", "", ""])
    routes = (("GET", "/communities/c1/pool.xlsx"), ("GET", "/communities/c1/pool.csv"), ("POST", IMPORT))
    for role in (Role.ORGANISATION, Role.OBSERVER, Role.GRID_WORKER):
        api = api_for(server, role)
        for method, path in routes:
            response = api.client.request(
                method, path, content=data if method == "POST" else None, headers=CSV
            )
            assert response.status_code == 403, (role, path, response.text)
    other = api_for(server, Role.CADRE, "c3")
    assert other.get("/communities/c1/pool.csv").status_code == 404
    assert "c1-x" not in pool_ids(api_for(server, Role.CADRE))[0]


def test_a_file_over_the_limit_is_refused_before_it_is_read(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    big = csv_file() + b" " * (MAX_BYTES + 1)
    assert cadre.post(IMPORT, content=big, headers=CSV).status_code == 422
    response = httpx.post(
        f"{server.url}/api/v1{IMPORT}",
        content=big + b" " * (64 * 1024),
        headers={"Authorization": f"Bearer {cadre.token}", **CSV},
        timeout=30,
    )
    assert response.status_code == 413, response.text
