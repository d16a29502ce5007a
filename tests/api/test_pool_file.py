"""The resource pool as a spreadsheet (api/pool_file.py): what an export holds, that an import gives back what
was exported, and that each kind of mistake in a file is named by its row, its column and the value given."""

import csv
import dataclasses
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from api import labels
from api import pool_file as pf
from engine.coordinator import Board, RegisterOrganisation, SaveResource
from engine.coordinator.events import StreetRegistered
from engine.model import Organisation, OrganisationKind, Resource, ResourceStatus, ServiceModes
from tests.coordinator.world import MAP, PROFILE, T0, community, maps

ROOT = Path(__file__).resolve().parents[2]
# A sheet of before, with the ids; most tests read one, as a street office may still keep them.
HEADER = [c.header for c in pf.COLUMNS]
EXPORTED = [c.header for c in pf.EXPORTED]
NODES = [f"g{r}_{c}" for r in range(4) for c in range(4)]
GOOD = {
    "组织编号": "team",
    "组织名称": "蓝天救援队",
    "组织类型": "志愿队",
    "资源编号": "team-boat",
    "资源名称": "冲锋舟",
    "能力": "救生艇",
    "数量": "2",
    "资质": "water_rescue、boat_licence",
    "位置": "g1_1",
    "服务时段": "应急",
    "状态": "可用",
}


@pytest.fixture(scope="module")
def pool() -> pf.Pool:
    """Community c1 on a 4×4 grid; volunteer teams o1 (resource "near" at g0_1) and o2 ("far" at g3_3)."""
    return pf.Pool.of(community().board)


def empty(pool: pf.Pool) -> pf.Pool:
    return dataclasses.replace(pool, organisations={}, resources={})


def csv_file(*rows: dict[str, Any], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


def good(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def problems(data: bytes, pool: pf.Pool, **kw: Any) -> list[tuple[int | None, str | None, str | None]]:
    """Where each problem of a file is, and the value it quotes."""
    with pytest.raises(pf.Invalid) as refused:
        pf.read_pool(data, pool, **kw)
    return [(p.row, p.column, p.value) for p in refused.value.problems]


def only_problem(data: bytes, pool: pf.Pool, **kw: Any) -> pf.Problem:
    with pytest.raises(pf.Invalid) as refused:
        pf.read_pool(data, pool, **kw)
    [found] = refused.value.problems
    return found


# -- labels ----------------------------------------------------------------------------------------------


def test_the_consoles_capability_names_and_pythons_are_the_same() -> None:
    script = (ROOT / "api" / "console" / "i18n.js").read_text(encoding="utf-8")
    chinese = script.split("const EN", 1)[0]
    match = re.search(r"\bcaps:\s*\{(.*?)\}", chinese, re.S)
    assert match is not None
    assert dict(re.findall(r'"([^"]+)":\s*"([^"]+)"', match.group(1))) == labels.CAPABILITIES


def test_every_kind_mode_and_status_has_one_chinese_name() -> None:
    for table, codes in (
        (labels.KINDS, OrganisationKind),
        (labels.MODES, ServiceModes),
        (labels.STATUSES, ResourceStatus),
    ):
        assert set(table) == set(codes)
        assert len(set(table.values())) == len(table)


# -- export ---------------------------------------------------------------------------------------------


def test_the_table_has_a_row_per_resource_and_one_for_an_organisation_without_any() -> None:
    orgs = [
        Organisation(id="b", kind=OrganisationKind.ENTERPRISE, name="超市"),
        Organisation(id="a", kind=OrganisationKind.PARTY_ORGANISATION, name="党支部"),
    ]
    resources = [
        Resource(id="b2", organisation="b", capability="supply.food", quantity=5, location="g0_0"),
        Resource(
            id="b1",
            organisation="b",
            capability="custom.thing",
            quantity=0,
            location="g1_1",
            certifications=("food_safety", "water_rescue"),
            modes=ServiceModes.NORMAL,
            status=ResourceStatus.OFFLINE,
            name="冷库",
        ),
    ]
    # By names, never ids; a certification the table lacks by its words.
    assert pf.table(orgs, resources) == [
        EXPORTED,
        ["党支部", "党组织", "", "", "", "", "", "", ""],
        ["超市", "企业", "", "食品", 5, "", "g0_0", "常态和应急", "可用"],
        ["超市", "企业", "冷库", "custom.thing", 0, "food safety、水上救援", "g1_1", "常态", "停用"],
    ]


def test_the_workbook_has_a_bold_frozen_header_readable_widths_and_drop_downs(pool: pf.Pool) -> None:
    rows = pf.table(pool.organisations.values(), pool.resources.values())
    book = load_workbook(io.BytesIO(pf.to_xlsx(rows)))
    sheet = book.active
    assert sheet is not None and sheet.title == pf.SHEET_TITLE
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        [None if v == "" else v for v in row] for row in rows
    ]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == pf.ORG_NAME.width
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["B2"] == '"' + ",".join(labels.KINDS.values()) + '"'


def test_a_name_that_looks_like_a_formula_stays_text_in_both_formats(pool: pf.Pool) -> None:
    org = Organisation(
        id="x", kind=OrganisationKind.ENTERPRISE, community="c1", name='=HYPERLINK("http://a")'
    )
    rows = pf.table([org], [])
    cell = load_workbook(io.BytesIO(pf.to_xlsx(rows))).active["A2"]  # type: ignore[index]
    assert cell.data_type == "s" and cell.value == org.name
    data = pf.to_csv_bytes(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1][0] == "'" + org.name
    for exported in (pf.to_xlsx(rows), data):
        [read] = pf.read_pool(exported, empty(pool)).organisations
        assert (read.name, read.kind) == (org.name, org.kind)


# -- round trip -----------------------------------------------------------------------------------------

ids = st.from_regex(r"\A[A-Za-z0-9_.\-]{1,10}\Z")
# What a person can keep in a cell: no control characters, nothing around it that a cell loses.
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zl", "Zp")), max_size=12).filter(
    lambda s: s == s.strip()
)
# Certification codes of words (as they are written by their words when the table has no name for them).
codes = st.from_regex(r"\A[a-z][a-z0-9]{0,3}(_[a-z0-9]{1,3}){0,2}\Z") | st.sampled_from(
    sorted(labels.CERTIFICATIONS)
)
capabilities = st.sampled_from(sorted(labels.CAPABILITIES)) | st.from_regex(
    r"\A[a-z][a-z0-9_]{0,4}\.[a-z0-9_]{1,4}\Z"
)


@st.composite
def pools(draw: st.DrawFn) -> tuple[list[Organisation], list[Resource]]:
    orgs = draw(
        st.lists(
            st.builds(
                Organisation,
                id=ids,
                kind=st.sampled_from(OrganisationKind),
                community=st.just("c1"),
                name=names.filter(bool),
            ),
            min_size=1,
            max_size=4,
            # A sheet names an organisation by its name, and a unit by its organisation's and its own.
            unique_by=(lambda o: o.id, lambda o: o.name),
        )
    )
    resources = draw(
        st.lists(
            st.builds(
                Resource,
                id=ids,
                organisation=st.sampled_from([o.id for o in orgs]),
                capability=capabilities,
                quantity=st.integers(0, 100_000),
                location=st.sampled_from(NODES),
                certifications=st.lists(codes, max_size=3).map(tuple),
                modes=st.sampled_from(ServiceModes),
                status=st.sampled_from(ResourceStatus),
                name=names,
            ),
            max_size=6,
            unique_by=(lambda r: r.id, lambda r: (r.organisation, r.name or (r.capability, r.location))),
        )
    )
    return orgs, resources


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=pools(), xlsx=st.booleans())
def test_an_export_imports_back_as_the_same_pool(
    pool: pf.Pool, drawn: tuple[list[Organisation], list[Resource]], xlsx: bool
) -> None:
    orgs, resources = drawn
    rows = pf.table(orgs, resources)
    data = pf.to_xlsx(rows) if xlsx else pf.to_csv_bytes(rows)
    into_empty = pf.read_pool(data, empty(pool))
    # New to the pool: the same things, with ids the server makes.
    assert sorted((o.name, o.kind, o.community) for o in into_empty.organisations) == sorted(
        (o.name, o.kind, o.community) for o in orgs
    )
    assert sorted(map(_unit, into_empty.resources, [into_empty.organisations] * 99)) == sorted(
        map(_unit, resources, [orgs] * 99)
    )
    # Into the pool it came from: nothing to do.
    same = dataclasses.replace(
        pool, organisations={o.id: o for o in orgs}, resources={r.id: r for r in resources}
    )
    assert pf.changes(pf.read_pool(data, same), same).commands == ()


def _unit(r: Resource, orgs: Any) -> tuple[Any, ...]:
    """A unit as a sheet says it: by its organisation's name and its own fields, not by ids."""
    owner = next(o.name for o in orgs if o.id == r.organisation)
    return (owner, *r.model_dump(exclude={"id", "organisation"}).values())


# -- import: what is accepted ---------------------------------------------------------------------------


def test_a_clean_file_adds_and_changes_and_says_how_many(pool: pf.Pool) -> None:
    near = good(**{"组织编号": "o1", "组织名称": "", "组织类型": "", "资源编号": "near", "位置": "g0_1"})
    # As it is: an empty name or service mode leaves the resource's own.
    far = {**near, "组织编号": "o2", "资源编号": "far", "资源名称": "", "位置": "g3_3", "数量": "1"}
    far.update({"能力": "饮用水", "资质": "", "服务时段": ""})
    imported = pf.read_pool(csv_file(good(), far, near), pool)
    made = pf.changes(imported, pool)
    assert made.summary == {
        "organisations": {"added": 1, "unchanged": 2},
        "resources": {"added": 1, "changed": 1, "unchanged": 1},
    }
    [register, *saves] = made.commands
    assert isinstance(register, RegisterOrganisation)
    assert register.organisation == Organisation(
        id="team", kind=OrganisationKind.VOLUNTEER_TEAM, community="c1", name="蓝天救援队"
    )
    assert [s.resource.id for s in saves if isinstance(s, SaveResource)] == ["team-boat", "near"]
    boat = imported.resources[[r.id for r in imported.resources].index("team-boat")]
    assert (boat.capability, boat.quantity, boat.certifications) == (
        "rescue.boat",
        2,
        ("boat_licence", "water_rescue"),
    )
    assert (boat.modes, boat.status, boat.name) == (ServiceModes.INCIDENT, ResourceStatus.AVAILABLE, "冲锋舟")


def test_codes_full_width_digits_gbk_and_other_separators_are_read(pool: pf.Pool) -> None:
    row = good(
        **{
            "组织类型": "volunteer_team",
            "能力": "rescue.boat",
            "数量": "１２",
            "服务时段": "INCIDENT",
            "状态": "busy",
        }
    )
    text = csv_file(row).decode("utf-8")
    for data in (
        text.encode("gb18030"),
        text.replace(",", ";").encode("utf-8"),
        text.replace(",", "\t").encode("utf-16"),
    ):
        [boat] = pf.read_pool(data, pool).resources
        assert (boat.quantity, boat.modes, boat.status) == (12, ServiceModes.INCIDENT, ResourceStatus.BUSY)


def test_a_streets_own_pool_has_organisations_of_no_community() -> None:
    board = Board(maps)
    board.evolve(StreetRegistered(at=T0, actor="setup", street="s1", profile=PROFILE, map=MAP))
    [org] = pf.read_pool(csv_file(good()), pf.Pool.of(board)).organisations
    assert org.community is None
    # New ones of a sheet without ids: ids of the street's own.
    data = csv_file(
        row(组织名称="街道物资队", 组织类型="志愿队", 能力="饮用水", 数量="9", 位置="g1_1"), header=EXPORTED
    )
    imported = pf.read_pool(data, pf.Pool.of(board))
    assert ([o.id for o in imported.organisations], [r.id for r in imported.resources]) == (
        ["s1-o1"],
        ["s1-r1"],
    )


def test_a_row_without_a_resource_registers_the_organisation_alone(pool: pf.Pool) -> None:
    row = {h: GOOD[h] for h in ("组织编号", "组织名称", "组织类型")}
    imported = pf.read_pool(csv_file(row), pool)
    assert [o.id for o in imported.organisations] == ["team"] and imported.resources == ()


def test_a_formula_with_its_saved_value_is_read_as_the_value(pool: pf.Pool) -> None:
    data = xlsx_file(good(**{"数量": "=1+2"}), saved="3")
    [boat] = pf.read_pool(data, pool).resources
    assert boat.quantity == 3


def xlsx_file(*rows: dict[str, Any], saved: str | None = None) -> bytes:
    """A workbook as openpyxl writes it: formulas without a saved value, unless ``saved`` gives one (as Excel
    would have saved it) for every formula."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row.get(h) or None for h in HEADER])
    out = io.BytesIO()
    book.save(out)
    if saved is None:
        return out.getvalue()
    patched = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(
                    rb"(<f>[^<]*</f>)(<v\s*/>|<v></v>)?", rb"\1<v>" + saved.encode() + rb"</v>", content
                )
            target.writestr(item, content)
    return patched.getvalue()


# -- import: each kind of problem ----------------------------------------------------------------------


def test_unknown_and_missing_columns_are_named(pool: pf.Pool) -> None:
    header = [h for h in HEADER if h != "数量"] + ["备注"]
    assert problems(csv_file(good(), header=header), pool) == [(1, "备注", "备注"), (1, "数量", None)]


def test_a_bad_id_is_named(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good(**{"资源编号": "船 1"})), pool)
    assert (found.row, found.column, found.value) == (2, "资源编号", "船 1")
    assert "只能用英文字母" in found.problem


def test_an_unknown_kind_is_named(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good(**{"组织类型": "合作社"})), pool)
    assert (found.row, found.column, found.value) == (2, "组织类型", "合作社")
    assert "社会组织" in found.problem


def test_a_capability_neither_named_nor_a_code_is_named(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good(**{"能力": "冲锋舟"})), pool)
    assert (found.row, found.column, found.value) == (2, "能力", "冲锋舟")


@pytest.mark.parametrize("quantity", ["两个", "2.5", "-1", "100001", "TRUE"])
def test_a_quantity_that_is_not_a_whole_number_in_range_is_named(pool: pf.Pool, quantity: str) -> None:
    found = only_problem(csv_file(good(**{"数量": quantity})), pool)
    assert (found.row, found.column, found.value) == (2, "数量", quantity)
    assert "100,000" in found.problem


def test_a_bad_certification_is_quoted_alone(pool: pf.Pool) -> None:
    # By name, by code or by words; one neither is named.
    [boat] = pf.read_pool(csv_file(good(**{"资质": "水上救援，boat licence; first_aid"})), pool).resources
    assert boat.certifications == ("boat_licence", "first_aid", "water_rescue")
    found = only_problem(csv_file(good(**{"资质": "水上救援，救船"})), pool)
    assert (found.row, found.column, found.value) == (2, "资质", "救船")


def test_a_place_not_on_the_map_is_named(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good(**{"位置": "7号楼"})), pool)
    assert (found.row, found.column, found.value) == (2, "位置", "7号楼")


def test_an_organisation_given_twice_differently_is_named_on_the_later_row(pool: pf.Pool) -> None:
    second = good(**{"资源编号": "team-crew", "组织名称": "红十字会", "组织类型": "社会组织"})
    assert problems(csv_file(good(), second), pool) == [
        (3, "组织名称", "红十字会"),
        (3, "组织类型", "社会组织"),
    ]


def test_a_registered_organisation_is_not_changed_by_an_import(pool: pf.Pool) -> None:
    """o1 is a volunteer team with no name: an empty cell leaves it as it is, another value is refused."""
    kind = only_problem(csv_file(good(**{"组织编号": "o1", "组织名称": "", "组织类型": "企业"})), pool)
    assert (kind.row, kind.column, kind.value) == (2, "组织类型", "企业") and "志愿队" in kind.problem
    name = only_problem(csv_file(good(**{"组织编号": "o1", "组织类型": ""})), pool)
    assert (name.row, name.column, name.value) == (2, "组织名称", "蓝天救援队")


def test_a_resource_given_twice_is_named_on_the_later_row(pool: pf.Pool) -> None:
    assert problems(csv_file(good(), good(), good(**{"资源编号": "other"})), pool) == [
        (3, "资源编号", "team-boat")
    ]


def test_a_resource_of_an_organisation_not_registered_and_not_described_is_named(pool: pf.Pool) -> None:
    rows = (
        good(**{"组织编号": "nobody", "组织类型": ""}),
        good(**{"组织编号": "nobody", "资源编号": "b", "组织类型": ""}),
    )
    assert problems(csv_file(*rows), pool) == [(2, "组织类型", "")]


def test_a_resource_moved_to_another_organisation_is_named(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good(**{"资源编号": "near"})), pool)
    assert (found.row, found.column, found.value) == (2, "资源编号", "near")
    assert "o1" in found.problem


def test_a_quantity_below_what_is_dispatched_is_named(pool: pf.Pool) -> None:
    busy = dataclasses.replace(pool, committed=lambda r: 3 if r == "near" else 0)
    row = good(**{"组织编号": "o1", "组织名称": "", "组织类型": "", "资源编号": "near", "数量": "2"})
    found = only_problem(csv_file(row), busy)
    assert (found.row, found.column, found.value) == (2, "数量", "2")


def test_a_row_of_an_old_sheet_without_a_resource_id_is_a_new_unit_with_an_id_the_server_makes(
    pool: pf.Pool,
) -> None:
    [boat] = pf.read_pool(csv_file(good(**{"资源编号": ""})), pool).resources
    assert (boat.id, boat.name, boat.organisation) == ("c1-r3", "冲锋舟", "team")


def test_a_value_in_a_column_without_a_header_is_named(pool: pf.Pool) -> None:
    data = csv_file(good()).rstrip() + b",stray\r\n"
    found = only_problem(data, pool)
    assert (found.row, found.column, found.value) == (2, None, "stray") and "L 列" in found.problem


def test_every_problem_of_every_row_is_listed_in_reading_order(pool: pf.Pool) -> None:
    rows = (
        good(**{"数量": "many", "位置": "nowhere"}),
        good(**{"资源编号": "b-2", "能力": "", "服务时段": "sometimes"}),
        good(**{"资源编号": "b 3", "状态": "坏了"}),
    )
    assert problems(csv_file(*rows), pool) == [
        (2, "数量", "many"),
        (2, "位置", "nowhere"),
        (3, "能力", ""),
        (3, "服务时段", "sometimes"),
        (4, "资源编号", "b 3"),
        (4, "状态", "坏了"),
    ]


def test_a_long_value_is_cut_to_a_hundred_characters(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good(**{"位置": "x" * 500})), pool)
    assert found.value == "x" * pf.VALUE_CHARS + "…"


def test_a_formula_without_a_saved_value_is_refused(pool: pf.Pool) -> None:
    found = only_problem(xlsx_file(good(**{"数量": "=1+2"})), pool)
    assert (found.row, found.column, found.value) == (2, "数量", "=1+2")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "空"),
        (b"  \r\n", "空"),
        (",".join(HEADER).encode(), "没有内容"),
        (b"PK\x03\x04 not really a zip", ".xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old workbook", ".xls"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "CSV"),
    ],
    ids=["empty", "blank", "header-only", "broken-xlsx", "old-xls", "binary"],
)
def test_a_file_that_is_not_a_pool_is_refused_as_a_whole(pool: pf.Pool, data: bytes, words: str) -> None:
    found = only_problem(data, pool)
    assert (found.row, found.column) == (None, None) and words in found.problem


def test_text_said_to_be_a_workbook_is_refused(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good()), pool, filename="pool.xlsx")
    assert (found.row, found.column) == (None, None) and ".xlsx" in found.problem


def test_a_file_over_the_size_limit_is_refused(pool: pf.Pool) -> None:
    found = only_problem(csv_file(good()) + b" " * pf.MAX_BYTES, pool)
    assert found.row is None and "太大" in found.problem


def test_too_many_rows_are_refused(pool: pf.Pool) -> None:
    rows = [good(**{"资源编号": f"r{i}"}) for i in range(pf.MAX_ROWS + 1)]
    found = only_problem(csv_file(*rows), pool)
    assert found.row is None and str(pf.MAX_ROWS) in found.problem
    assert len(pf.read_pool(csv_file(*rows[:-1]), pool).resources) == pf.MAX_ROWS


# -- import: matching by name ----------------------------------------------------------------------------


def named(pool: pf.Pool) -> pf.Pool:
    """The pool with names: o1 is 蓝天救援队 and its unit "near" 冲锋舟; o2 is 红十字会."""
    orgs = {**pool.organisations}
    orgs["o1"] = orgs["o1"].model_copy(update={"name": "蓝天救援队"})
    orgs["o2"] = orgs["o2"].model_copy(update={"name": "红十字会"})
    near = pool.resources["near"].model_copy(update={"name": "冲锋舟"})
    return dataclasses.replace(pool, organisations=orgs, resources={**pool.resources, "near": near})


def row(**cells: str) -> dict[str, str]:
    return {h: cells.get(h, "") for h in (c.header for c in pf.EXPORTED)}


def test_organisations_and_units_are_matched_by_name_and_new_ones_get_ids(pool: pf.Pool) -> None:
    known = named(pool)
    data = csv_file(
        row(组织名称="蓝天救援队", 资源名称="冲锋舟", 能力="救生艇", 数量="7", 位置="g0_1"),
        # o2's unit has no name: by what it does and where.
        row(组织名称="红十字会", 能力=known.resources["far"].capability, 数量="9", 位置="g3_3"),
        row(组织名称="新队", 组织类型="志愿队", 资源名称="冲锋舟", 能力="救生艇", 数量="1", 位置="g2_2"),
        header=EXPORTED,
    )
    imported = pf.read_pool(data, known)
    assert [(r.id, r.organisation, r.quantity) for r in imported.resources] == [
        ("c1-r3", "c1-o3", 1),
        ("far", "o2", 9),
        ("near", "o1", 7),
    ]
    assert [(o.id, o.name) for o in imported.organisations] == [
        ("c1-o3", "新队"),
        ("o1", "蓝天救援队"),
        ("o2", "红十字会"),
    ]


def test_an_organisation_name_two_share_is_refused_and_one_without_a_name_is_its_id(pool: pf.Pool) -> None:
    twins = dataclasses.replace(
        pool,
        organisations={k: o.model_copy(update={"name": "同名队"}) for k, o in pool.organisations.items()},
    )
    data = csv_file(row(组织名称="同名队"), header=EXPORTED)
    assert problems(data, twins) == [(2, "组织名称", "同名队")]
    # o1 and o2 have no names: the sheet writes them by id, and reads them back so.
    [written] = [r for r in pf.table(pool.organisations.values(), []) if r[0] == "o1"]
    assert [
        o.id
        for o in pf.read_pool(csv_file(row(组织名称=str(written[0])), header=EXPORTED), pool).organisations
    ] == ["o1"]


def test_the_consoles_certification_names_and_pythons_are_the_same() -> None:
    script = (ROOT / "api" / "console" / "i18n.js").read_text(encoding="utf-8")
    match = re.search(r"\bcerts:\s*\{(.*?)\}", script.split("const EN", 1)[0], re.S)
    assert match is not None
    assert dict(re.findall(r'(\w+):\s*"([^"]+)"', match.group(1))) == labels.CERTIFICATIONS
