"""The pool as a spreadsheet through the live service: downloaded as .xlsx and CSV, imported back all at once
or not at all, checked first with a dry run, and only by the community's cadres and its street. The sheet
names organisations and units, never by id: an import matches them by name (a sheet with the ids of before
is still read)."""

import csv
import io
import re
from typing import Any
from urllib.parse import quote

import httpx
from openpyxl import load_workbook

from api.auth import Role
from api.pool_file import COLUMNS, EXPORTED, MAX_BYTES, XLSX_MEDIA
from tests.api.server import Api, Server, api_for

HEADER = [c.header for c in EXPORTED]
# The columns of a sheet exported before the ids left it.
OLD_HEADER = [c.header for c in COLUMNS]
IMPORT = "/communities/c1/pool/import"
CSV = {"Content-Type": "text/csv"}


def csv_file(*rows: list[Any], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def sheet_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def units(api: Api, community: str = "c1") -> dict[tuple[str, str], dict[str, Any]]:
    """The community's units by their organisation's name and their own (one with no name: by its id)."""
    names = {o["id"]: o["name"] for o in api.ok("GET", f"/communities/{community}/organisations")}
    return {
        (names[r["organisation"]], r["name"] or r["id"]): r
        for r in api.ok("GET", f"/communities/{community}/resources")
    }


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
    # No ids: organisations and units by their names; the two unnamed boats by what they do and where.
    assert shown[1] == [
        "boats",
        "社会组织",
        "",
        "救生艇",
        "2",
        "",
        "横1路与纵1路交叉口",
        "常态和应急",
        "可用",
    ]
    assert [row[:5] for row in shown[2:]] == [
        ["boats", "社会组织", "", "救生艇", "1"],
        ["shop", "企业", "", "饮用水", "50"],
    ]
    assert not any("c1-" in cell for row in shown for cell in row)

    text = cadre.get("/communities/c1/pool.csv")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    assert text.content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(text.content.decode("utf-8-sig")))) == shown


def test_a_clean_file_is_imported_at_once_and_again_changes_nothing(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    before = pool_events(street)
    data = csv_file(
        ["红十字会", "社会组织", "急救箱", "急救", "3", "急救", "g1_1", "应急", "可用"],
        ["红十字会", "社会组织", "", "medical.doctor", "1", "", "g1_2", "", ""],
        ["党支部", "党组织", "", "", "", "", "", "", ""],
        # The boat at g0_0 (it has no name) had 2 units: now 4.
        ["boats", "", "", "救生艇", "4", "", "横1路与纵1路交叉口", "", ""],
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
    organisations = {o["name"]: o["id"] for o in street.ok("GET", "/communities/c1/organisations")}
    # New ones get ids the server makes, as a need reported without one.
    assert re.fullmatch(r"c1-o\d+", organisations["红十字会"]) and "党支部" in organisations
    now = units(street)
    aid = now[("红十字会", "急救箱")]
    assert (aid["capability"], aid["modes"], aid["certifications"], aid["quantity"]) == (
        "medical.first_aid",
        "incident",
        ["first_aid"],
        3,
    )
    assert re.fullmatch(r"c1-r\d+", aid["id"]) and aid["organisation"] == organisations["红十字会"]
    assert (now[("boats", "c1-boat")]["quantity"], now[("boats", "c1-boat2")]["quantity"]) == (4, 1)
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
    new = csv_file(["新组织", "企业", "", "车辆转移", "1", "", "g3_3", "", ""])
    form = cadre.post(f"{IMPORT}?dry_run=true", files={"file": ("资源库.csv", new, "text/csv")})
    assert form.status_code == 200, form.text
    assert form.json()["organisations"]["added"] == 1 and form.json()["resources"]["added"] == 1
    assert pool_ids(cadre) == before and pool_events(cadre) == events


def test_a_file_with_bad_rows_is_refused_whole_naming_each_row_and_column(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    before, events = pool_ids(cadre), pool_events(cadre)
    data = csv_file(
        # A good new row: not written either, because other rows are wrong.
        ["好组织", "企业", "", "饮用水", "10", "", "g2_2", "", ""],
        ["坏组织", "合作社", "", "救生艇", "很多", "", "g2_2", "", ""],
        ["好组织", "企业", "", "饮用水", "10", "", "g9_9", "", ""],
        ["好组织", "企业", "水泵", "冲锋舟", "1", "救船", "g2_2", "", ""],
        # The first row's unit again (no name: the same capability at the same place).
        ["好组织", "企业", "", "饮用水", "5", "", "g2_2", "", ""],
    )
    refused = cadre.post(IMPORT, content=data, headers=CSV)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    found = [(e["row"], e["column"], e["value"]) for e in body["errors"]]
    assert found == [
        (3, "组织类型", "合作社"),
        (3, "数量", "很多"),
        (4, "位置", "g9_9"),
        (5, "能力", "冲锋舟"),
        (5, "资质", "救船"),
        (6, "位置", "g2_2"),
    ]
    assert "第 2 行" in body["errors"][-1]["problem"]
    assert body["problems"] == 6 and "nothing was imported" in body["detail"]
    assert all(
        e["problem"] and e["field"] == e["column"] and f"第 {e['row']} 行" in e["message"]
        for e in body["errors"]
    )
    assert pool_ids(cadre) == before and pool_events(cadre) == events


def test_only_the_communitys_cadres_and_street_may_download_or_import(server: Server) -> None:
    data = csv_file(["某企业", "企业", "", "", "", "", "", "", ""])
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
    cadre = api_for(server, Role.CADRE)
    assert "某企业" not in {o["name"] for o in cadre.ok("GET", "/communities/c1/organisations")}


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


def test_an_exported_sheet_imports_back_changing_nothing(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    path = "/communities/c2/pool"
    before, events = units(cadre, "c2"), pool_events(cadre, "c2")
    for extension, media in (("csv", "text/csv"), ("xlsx", XLSX_MEDIA)):
        exported = cadre.get(f"{path}.{extension}").content
        answer = cadre.post(f"{path}/import", content=exported, headers={"Content-Type": media})
        assert answer.status_code == 200, answer.text
        assert answer.json()["organisations"] == {"added": 0, "unchanged": 2}
        assert answer.json()["resources"] == {"added": 0, "changed": 0, "unchanged": 3}
    assert units(cadre, "c2") == before and pool_events(cadre, "c2") == events


def test_a_quantity_changed_in_the_sheet_changes_the_unit_of_that_name(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    unit = {"organisation": "c2-shop", "capability": "supply.water", "quantity": 5, "location": "g1_1"}
    cadre.ok("POST", "/communities/c2/resources", {"id": "c2-tank", "name": "应急水箱", **unit})
    rows = sheet_rows(cadre.get("/communities/c2/pool.csv").content)
    header, [tank] = rows[0], [row for row in rows if "应急水箱" in row]
    tank[header.index("数量")] = "12"
    answer = cadre.post("/communities/c2/pool/import", content=csv_file(tank), headers=CSV)
    assert answer.status_code == 200, answer.text
    assert answer.json()["resources"] == {"added": 0, "changed": 1, "unchanged": 0}
    assert cadre.ok("GET", "/communities/c2/resources/c2-tank")["quantity"] == 12


def test_a_sheet_exported_before_with_its_id_columns_still_imports(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    data = csv_file(
        ["c2-boats", "boats", "社会组织", "c2-boat2", "", "救生艇", "3", "water_rescue", "g4_4", "", ""],
        ["c2-shop", "shop", "企业", "c2-van", "", "车辆转移", "1", "", "g3_3", "", ""],
        header=OLD_HEADER,
    )
    answer = cadre.post("/communities/c2/pool/import", content=data, headers=CSV)
    assert answer.status_code == 200, answer.text
    assert answer.json()["resources"] == {"added": 1, "changed": 1, "unchanged": 0}
    boat = cadre.ok("GET", "/communities/c2/resources/c2-boat2")
    assert (boat["quantity"], boat["certifications"]) == (3, ["water_rescue"])
    assert cadre.ok("GET", "/communities/c2/resources/c2-van")["organisation"] == "c2-shop"


def test_a_name_two_units_of_one_organisation_share_is_refused_naming_its_row_and_column(
    server: Server,
) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    unit = {"organisation": "c2-boats", "capability": "rescue.crew", "quantity": 2, "location": "g1_1"}
    for rid in ("c2-crew1", "c2-crew2"):
        cadre.ok("POST", "/communities/c2/resources", {"id": rid, "name": "救援小组", **unit})
    data = csv_file(
        ["shop", "企业", "", "饮用水", "50", "", "g2_2", "", ""],
        ["boats", "社会组织", "救援小组", "救援队员", "3", "", "g1_1", "", ""],
    )
    refused = cadre.post("/communities/c2/pool/import", content=data, headers=CSV)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, "资源名称", "救援小组")
    assert "第 3 行" in error["message"] and "2 units" in error["problem"]
    assert cadre.ok("GET", "/communities/c2/resources/c2-crew1")["quantity"] == 2
