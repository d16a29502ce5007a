"""A resource pool as one spreadsheet table (.xlsx or CSV): written for people to read and fill in, and read
back with every row checked.

One row per resource, with its organisation's columns repeated; an organisation with no resource has one row
with the resource columns empty. Headers and the values people read are Chinese (``api/labels.py``); a file
may give the codes instead. The sheet names things, never by id: an organisation is its name in the pool, a
unit its organisation's and its own name (one with no name: what it does, and where). A sheet written before
(with the columns 组织编号 and 资源编号) is still read by those ids.

Reading collects every problem in a file, each naming the row as the spreadsheet numbers it (the header is
row 1), the column, what is wrong and the value given, so that a cadre can fix them all at once; a file with
any problem yields no organisations or resources at all.

Nothing here knows of HTTP, and nothing needs a community: a community's board and a street's own pool are
both a :class:`Pool`.
"""

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, TypeAdapter, ValidationError

from api import labels
from api.csv_cells import FORMULA_START, to_csv
from api.ids import next_id
from api.places import place_name, places_of
from api.schemas import OrganisationCreate, ResourceCreate
from engine.coordinator import Board, RegisterOrganisation, SaveResource
from engine.model import Organisation, OrganisationKind, Resource
from engine.model.ids import CommunityId, NodeId, OrganisationId, ResourceId

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidation

# openpyxl is imported where a workbook is written or read, not here: it takes a third of a second, and the service
# imports this module (for its limits) before its first request, which is seldom a workbook.

KIB = 1024
# A pool of thousands of resources is a few hundred KB in either format.
MAX_BYTES: Final = 2 * KIB * KIB
MAX_ROWS: Final = 5000
# Columns read from a sheet; a value further right is refused, not silently dropped.
MAX_COLUMNS: Final = 30
# An .xlsx is a zip: what it unpacks to is bounded too, so that a small file cannot fill the memory.
MAX_UNPACKED: Final = 64 * KIB * KIB
# The most of a value a problem repeats (as api.problems.ECHO_CHARS).
VALUE_CHARS: Final = 100
XLSX_MEDIA: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE: Final = "资源库"
# Certifications in one cell: separated as people write lists, in Chinese or not (not by spaces: a
# certification without a name is written by its words).
LIST_SEPARATOR: Final = "、"
SEPARATORS = re.compile(r"[、,，;；]+")
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"

ID_HINT = "只能用英文字母、数字和 - _ .，不能有空格或汉字 (letters, digits and - _ . only)"


def _one_of(choices: Mapping[str, str]) -> str:
    return f"请填 {'、'.join(choices.values())} 之一 (one of: {', '.join(choices)})"


def _quantity_hint() -> str:
    bounds = TypeAdapter(ResourceCreate.model_fields["quantity"].rebuild_annotation()).json_schema()
    lo, hi = bounds["minimum"], bounds["maximum"]
    return f"要填 {lo} 到 {hi:,} 之间的整数 (a whole number from {lo} to {hi:,})"


# Compared and hashed by identity: each column is one object, and its choices are a mapping.
@dataclass(frozen=True, eq=False)
class Column:
    header: str
    # Must be in the file; a cell may still be empty where the row allows it (see ``_read_row``).
    required: bool
    # In characters, as the spreadsheet shows it.
    width: int
    # What a cell that is not valid must hold, said to the person filling it in.
    hint: str = ""
    # Codes and the Chinese names shown for them; a cell may hold either.
    choices: Mapping[str, str] | None = None
    # Other codes than those listed are allowed (capabilities: a profile may name its own).
    open: bool = False


# Only read: sheets exported before named organisations and units by these ids, and are still imported.
ORG_ID = Column("组织编号", False, 16, ID_HINT)
ORG_NAME = Column("组织名称", False, 24)
KIND = Column("组织类型", True, 12, _one_of(labels.KINDS), labels.KINDS)
RES_ID = Column("资源编号", False, 16, ID_HINT)
RES_NAME = Column("资源名称", False, 20)
CAPABILITY = Column(
    "能力",
    True,
    12,
    f"请填能力的名称（{'、'.join(labels.CAPABILITIES.values())}）或能力代码，如 rescue.boat "
    "(a capability's name or code)",
    labels.CAPABILITIES,
    open=True,
)
QUANTITY = Column("数量", True, 8, _quantity_hint())
CERTIFICATIONS = Column(
    "资质",
    False,
    20,
    f"请填资质的名称（{'、'.join(labels.CERTIFICATIONS.values())}）或英文代码，多项用 、 或 , 隔开 "
    "(certifications by name or code, separated by 、 or ,)",
)
LOCATION = Column("位置", True, 12)
MODES = Column("服务时段", False, 12, _one_of(labels.MODES), labels.MODES)
STATUS = Column("状态", False, 8, _one_of(labels.STATUSES), labels.STATUSES)
# Every column a sheet may have, in order: the one home of the headers.
COLUMNS: Final = (
    ORG_ID,
    ORG_NAME,
    KIND,
    RES_ID,
    RES_NAME,
    CAPABILITY,
    QUANTITY,
    CERTIFICATIONS,
    LOCATION,
    MODES,
    STATUS,
)
RESOURCE_COLUMNS: Final = COLUMNS[3:]
# The columns an export writes: no ids.
EXPORTED: Final = tuple(c for c in COLUMNS if c not in (ORG_ID, RES_ID))
EXPORTED_RESOURCE: Final = EXPORTED[2:]
BY_HEADER: Final = {c.header: c for c in COLUMNS}

# -- problems ------------------------------------------------------------------------------------------


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file, where a person finds it."""

    # As the spreadsheet numbers it: the header is row 1. None: the file as a whole.
    row: int | None
    # The column's header. None: the row or the file as a whole.
    column: str | None
    problem: str
    # What the cell held, cut to VALUE_CHARS characters; None where there is no cell to quote.
    value: str | None

    def sentence(self) -> str:
        where = "文件 (the file)" if self.row is None else f"第 {self.row} 行 (row {self.row})"
        column = f"「{self.column}」" if self.column else ""
        value = f"：「{self.value}」" if self.value else ""
        return f"{where}{column}{value} — {self.problem}"


class Invalid(Exception):
    """A file with problems: every one found, in the order a person reads the sheet."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        order = {c.header: i for i, c in enumerate(COLUMNS)}
        self.problems = sorted(problems, key=lambda p: (p.row or 0, order.get(p.column or "", -1)))
        super().__init__(self.problems[0].sentence() if self.problems else "invalid file")


def _whole_file(problem: str) -> Invalid:
    return Invalid([Problem(None, None, problem, None)])


# -- the pool a file is read against --------------------------------------------------------------------


def _nothing_committed(_: ResourceId) -> int:
    return 0


@dataclass(frozen=True)
class Pool:
    """What a file is checked against: the organisations and resources there are, the organisations'
    community (None for a street's own pool) and the map their places must be on."""

    organisations: Mapping[OrganisationId, Organisation]
    resources: Mapping[ResourceId, Resource]
    community: CommunityId | None
    # The map node a 位置 cell means for a resource (None: the cell names no place of the map): a place's name
    # as the file was written (api/places.py), a typed address matched to a place, or a node id.
    where: Callable[[str, Resource | None], NodeId | None]
    # Units of a resource already sent: its quantity may not fall below them.
    committed: Callable[[ResourceId], int] = _nothing_committed
    # What the ids the server gives to new organisations and units start with (api/ids.py).
    prefix: str = "pool"

    @classmethod
    def of(cls, board: Board) -> "Pool":
        """A community's pool, or a street's own (whose organisations belong to no community)."""
        community = board.community.id if board.community is not None and not board.is_street else None
        places = places_of(board)

        def where(cell: str, known: Resource | None) -> NodeId | None:
            if board.graph.has_node(cell):
                return NodeId(cell)
            # Its own place as the sheet was written (a name like "7栋附近" that matches no place by itself).
            if known is not None and place_name(board, known.location) == cell:
                return known.location
            found = places.match(cell) if places is not None else None
            return found.node if found is not None else None

        # A street's board is keyed "street:s1": its ids start with the street's own, as the console's do.
        prefix = re.sub(r"[^A-Za-z0-9_.-]", "", board.key.rpartition(":")[2]) or "pool"
        return cls(
            board.organisations, board.resources, community, where, board.resource_units_committed, prefix
        )


# -- writing ---------------------------------------------------------------------------------------------

Cell = str | int


def _shown(column: Column, code: str) -> str:
    return column.choices.get(code, code) if column.choices else code


def _resource_cells(r: Resource | None, place: Callable[[NodeId], str]) -> list[Cell]:
    if r is None:
        return [""] * len(EXPORTED_RESOURCE)
    return [
        r.name,
        _shown(CAPABILITY, r.capability),
        r.quantity,
        LIST_SEPARATOR.join(labels.certification_name(c) for c in r.certifications),
        place(r.location),
        _shown(MODES, r.modes),
        _shown(STATUS, r.status),
    ]


def table(
    organisations: Iterable[Organisation], resources: Iterable[Resource], place: Callable[[NodeId], str] = str
) -> list[list[Cell]]:
    """The pool as rows, the header first: each organisation by name, its resources under it; ``place`` names
    a resource's location (api/places.py: the name people use, which an import reads back). An organisation
    with no name is written by its id, the one thing that names it."""
    owned: dict[str, list[Resource]] = defaultdict(list)
    for r in resources:
        owned[r.organisation].append(r)
    rows: list[list[Cell]] = [[c.header for c in EXPORTED]]
    for o in sorted(organisations, key=lambda o: (o.name or o.id, o.id)):
        mine: list[Resource | None] = [*sorted(owned[o.id], key=lambda r: (r.name, r.capability, r.id))]
        rows.extend(
            [o.name or o.id, _shown(KIND, o.kind), *_resource_cells(r, place)] for r in mine or [None]
        )
    return rows


def _csv_cell(value: Cell) -> Cell:
    # csv_cells quotes a formula-like text with one apostrophe, which reading takes off again: a text that
    # already starts with apostrophes before one gets one more, so that it reads back as it was.
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv_bytes(rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese as UTF-8."""
    return ("\ufeff" + to_csv([_csv_cell(v) for v in row] for row in rows)).encode("utf-8")


def _xlsx_value(value: Cell) -> Cell | None:
    if isinstance(value, int):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # openpyxl refuses control characters; an empty text is an empty cell, as a person leaves it.
    return ILLEGAL_CHARACTERS_RE.sub("", value) or None


def to_xlsx(rows: Sequence[Sequence[Cell]]) -> bytes:
    """A workbook of one sheet: the header in bold and frozen, columns wide enough to read, and a drop-down
    list of the names for each column that has them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                # A name that starts with "=" is text, never a formula.
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for i, column in enumerate(EXPORTED, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = column.width
        if column.choices:
            sheet.add_data_validation(_drop_down(column, f"{letter}2:{letter}{MAX_ROWS + 1}"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _drop_down(column: Column, cells: str) -> "DataValidation":
    from openpyxl.worksheet.datavalidation import DataValidation

    assert column.choices is not None
    listed = ",".join(column.choices.values())
    # A capability not listed may still be typed (by its code): Excel warns, and lets it stand.
    check = DataValidation(
        type="list",
        formula1=f'"{listed}"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning" if column.open else "stop",
        errorTitle=column.header,
        error=column.hint,
    )
    check.add(cells)
    return check


# -- reading a file into rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoValue:
    """A formula cell saved without its result (a file written by a program, never opened in Excel)."""

    formula: str


@dataclass(frozen=True)
class Sheet:
    """The rows of a file as cells, each with its number as the spreadsheet shows it; blank rows left out."""

    header: tuple[object, ...]
    rows: list[tuple[int, tuple[object, ...]]]


def read_sheet(data: bytes, filename: str | None = None, content_type: str | None = None) -> Sheet:
    """The first sheet of an .xlsx, or a CSV (UTF-8, UTF-16 or GBK; comma, semicolon or tab), told apart by
    their content; the name and content type only decide what to say of a file that is neither."""
    if len(data) > MAX_BYTES:
        raise _whole_file(f"文件太大：最多 {MAX_BYTES // KIB // KIB} MB (the file is over {MAX_BYTES} bytes)")
    if not data.strip():
        raise _whole_file("文件是空的 (the file is empty)")
    if data.startswith(OLE_MAGIC):
        raise _whole_file(
            "这是旧版 Excel（.xls）文件：请另存为 .xlsx 或 CSV 再导入 (old .xls: save as .xlsx or CSV)"
        )
    if data.startswith(ZIP_MAGIC):
        rows = _xlsx_rows(data)
    elif (filename or "").lower().endswith(".xlsx") or XLSX_MEDIA in (content_type or ""):
        raise _whole_file("不是有效的 .xlsx 文件 (not a valid .xlsx file)")
    else:
        rows = _csv_rows(_decode(data))
    return _sheet(rows)


def _sheet(rows: Iterator[tuple[object, ...]]) -> Sheet:
    header = next(rows, ())
    kept: list[tuple[int, tuple[object, ...]]] = []
    # Blank rows are passed over, but counted: the rows are numbered as the spreadsheet shows them.
    for number, cells in enumerate(rows, start=2):
        if all(_text(c) == "" for c in cells):
            continue
        if number > MAX_ROWS + 1:
            raise _whole_file(
                f"行数太多：表头下最多 {MAX_ROWS} 行，第 {number} 行还有内容 (more than {MAX_ROWS} rows)"
            )
        kept.append((number, cells))
    if not kept:
        raise _whole_file("表头下面没有内容 (no rows under the header)")
    return Sheet(header, kept)


def _xlsx_rows(data: bytes) -> Iterator[tuple[object, ...]]:
    from openpyxl import load_workbook

    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile:
        raise _whole_file("不是有效的 .xlsx 文件 (not a valid .xlsx file)") from None
    if unpacked > MAX_UNPACKED:
        raise _whole_file(f"文件解压后太大 (unpacks to {unpacked} bytes, over {MAX_UNPACKED})")
    damaged = "不是有效的 .xlsx 文件，无法读取 (not a valid .xlsx file)"
    # openpyxl fails in many ways on a damaged file (zip, XML, missing parts): each is the same answer here.
    try:
        # Read twice: once for the values Excel saved, once to know which cells are formulas.
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise _whole_file(damaged) from None
    try:
        shown, written = values.worksheets[0], formulas.worksheets[0]
        # Row by row, not all at once: a sheet may hold many blank rows, passed over as they come.
        for cells, kinds in zip(
            shown.iter_rows(max_col=MAX_COLUMNS + 1), written.iter_rows(max_col=MAX_COLUMNS + 1), strict=True
        ):
            yield tuple(_saved(c.value, k) for c, k in zip(cells, kinds, strict=True))
    except Exception:
        raise _whole_file(damaged) from None
    finally:
        values.close()
        formulas.close()


def _saved(value: object, written: Any) -> object:
    if value is None and getattr(written, "data_type", None) == "f":
        return NoValue(str(written.value))
    return value


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": UTF-16 with tabs.
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        # Excel on a Chinese system saves "CSV" as GBK (GB18030 holds it).
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise _whole_file("不是 .xlsx，也不是 UTF-8 或 GBK 编码的 CSV 文本 (neither .xlsx nor CSV text)")


def _csv_rows(text: str) -> Iterator[tuple[object, ...]]:
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in ("\t", ";") if d in first and "," not in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield tuple(_unquote(c) for c in row)
    except csv.Error as exc:
        # The line of the file (a cell may hold line breaks, so not always the spreadsheet's row).
        raise _whole_file(f"CSV 格式有误，在第 {reader.line_num} 行附近 (not valid CSV): {exc}") from None


def _unquote(cell: str) -> str:
    # What csv_cells did to keep a text from running as a formula, undone (see _csv_cell).
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START):
        return cell[1:]
    return cell


def _text(cell: object) -> str:
    if cell is None or isinstance(cell, NoValue):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        # Excel keeps every number as a float: an id or place typed as 12 comes back 12.0.
        return str(int(cell))
    return str(cell).strip()


def _code(cell: object) -> str:
    # Full-width letters and digits (typed with a Chinese input method) are the ASCII ones.
    return unicodedata.normalize("NFKC", _text(cell))


# -- checking the header -----------------------------------------------------------------------------


def _columns(header: tuple[object, ...], rows: list[tuple[int, tuple[object, ...]]]) -> dict[Column, int]:
    """Each known column's position; refuses unknown, repeated and missing columns, and values in a column
    with no header."""
    from openpyxl.utils import get_column_letter

    found: dict[Column, int] = {}
    problems: list[Problem] = []
    names = [_text(h) for h in header]
    for i, name in enumerate(names):
        column = BY_HEADER.get(name)
        if i >= MAX_COLUMNS and name:
            problems.append(Problem(1, name, f"列太多：最多 {MAX_COLUMNS} 列 (too many columns)", _cut(name)))
        elif column is None and name:
            known = "、".join(BY_HEADER)
            problems.append(Problem(1, name, f"不认识的列，可用的列：{known} (unknown column)", _cut(name)))
        elif column in found:
            problems.append(Problem(1, name, "这一列出现了两次 (column given twice)", _cut(name)))
        elif column is not None:
            found[column] = i
    problems.extend(
        Problem(1, c.header, "缺少这一列 (required column missing)", None)
        for c in COLUMNS
        if c.required and c not in found
    )
    # An organisation is named by its name, or in a sheet of before by its id.
    if ORG_NAME not in found and ORG_ID not in found:
        problems.append(Problem(1, ORG_NAME.header, "缺少这一列 (required column missing)", None))
    for number, cells in rows:
        problems.extend(
            Problem(
                number,
                None,
                f"{get_column_letter(i + 1)} 列有内容，但这一列没有表头 (a value in a column with no header)",
                _cut(_text(c)),
            )
            for i, c in enumerate(cells)
            if _text(c) and (i >= len(names) or not names[i])
        )
    if problems:
        raise Invalid(problems)
    return found


# -- checking each row ----------------------------------------------------------------------------------


def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    # A field's type with its constraints, as the API checks it: the one home of ids' and names' rules.
    return TypeAdapter(model.model_fields[name].rebuild_annotation())


ADAPTERS: Final = {
    ORG_ID: _adapter(OrganisationCreate, "id"),
    ORG_NAME: _adapter(OrganisationCreate, "name"),
    RES_ID: _adapter(ResourceCreate, "id"),
    RES_NAME: _adapter(ResourceCreate, "name"),
    CAPABILITY: _adapter(ResourceCreate, "capability"),
    QUANTITY: _adapter(ResourceCreate, "quantity"),
    CERTIFICATIONS: _adapter(ResourceCreate, "certifications"),
    LOCATION: _adapter(ResourceCreate, "location"),
}


def _plain(column: Column, error: Any) -> str:
    """A pydantic error as a person reads it."""
    kind, context = error["type"], error.get("ctx", {})
    if kind in ("missing", "string_too_short"):
        return "不能为空 (required)"
    if kind == "string_too_long":
        return f"太长：最多 {context['max_length']} 个字符 (at most {context['max_length']} characters)"
    return column.hint or str(error["msg"])


@dataclass
class _Row:
    """One row's values, each checked on its own; None where the cell is empty or not valid."""

    number: int
    # Its id: as an old sheet gives it, else as matched by name (``_match``).
    organisation: str | None
    organisation_name: str | None
    kind: OrganisationKind | None
    # The resource's fields the row gives (an optional column missing from the file: not given).
    resource: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)


class _Cells:
    """A row's cells by column, and the problems found in them."""

    def __init__(self, number: int, cells: tuple[object, ...], columns: Mapping[Column, int]) -> None:
        self.number = number
        self.raw = {c: cells[i] if i < len(cells) else None for c, i in columns.items()}
        self.problems: list[Problem] = []

    def has(self, column: Column) -> bool:
        return column in self.raw

    def text(self, column: Column) -> str:
        return _text(self.raw.get(column))

    def fail(self, column: Column, problem: str, value: str | None = None) -> None:
        shown = self.text(column) if value is None else value
        self.problems.append(Problem(self.number, column.header, problem, _cut(shown)))

    def formulas_saved(self) -> bool:
        for column, cell in self.raw.items():
            if isinstance(cell, NoValue):
                self.fail(
                    column,
                    "公式没有保存计算结果：请在 Excel 中打开并保存后再导入 (a formula with no saved value)",
                    cell.formula,
                )
        return not self.problems

    def needed(self, column: Column, value: str) -> Any:
        """A value the row must give (an id, a capability, a place), checked."""
        if not value:
            self.fail(column, "不能为空 (required)")
            return None
        return self.valid(column, value)

    def valid(self, column: Column, value: object) -> Any:
        try:
            return ADAPTERS[column].validate_python(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            # A list's item at fault (a certification) is quoted alone.
            quoted = str(error["input"]) if error["loc"] else None
            self.fail(column, _plain(column, error), quoted)
            return None

    def choice(self, column: Column) -> str | None:
        """A cell of a column with names: the code, read from the name or the code; None if empty."""
        assert column.choices is not None
        text = self.text(column)
        if not text:
            return None
        by_name = {name: code for code, name in column.choices.items()}
        code = by_name.get(text) or _code(text).lower()
        if code in column.choices or column.open:
            return code
        self.fail(column, f"不认识的{column.header}：{column.hint}")
        return None


def _read_row(number: int, cells: tuple[object, ...], columns: Mapping[Column, int]) -> _Row:
    row = _Cells(number, cells, columns)
    if not row.formulas_saved():
        return _Row(number, None, None, None, None, row.problems)
    given = _code(row.raw.get(ORG_ID))
    organisation = row.valid(ORG_ID, given) if given else None
    name = row.valid(ORG_NAME, row.text(ORG_NAME)) if row.text(ORG_NAME) else None
    if not given and not row.text(ORG_NAME):
        row.fail(ORG_NAME, "不能为空 (required)")
    kind = row.choice(KIND)
    resource = _read_resource(row, organisation) if _has_resource(row) else None
    return _Row(number, organisation, name, OrganisationKind(kind) if kind else None, resource, row.problems)


def _has_resource(row: _Cells) -> bool:
    return any(row.text(c) for c in RESOURCE_COLUMNS)


def _read_resource(row: _Cells, organisation: str | None) -> dict[str, Any]:
    capability = row.choice(CAPABILITY)
    given = _code(row.raw.get(RES_ID))
    fields: dict[str, Any] = {
        # None: matched by name (``_match``), or new.
        "id": row.valid(RES_ID, given) if given else None,
        "organisation": organisation,
        "capability": row.needed(CAPABILITY, capability or ""),
        "quantity": _quantity(row),
        "location": row.needed(LOCATION, row.text(LOCATION)),
    }
    if row.has(RES_NAME):
        fields["name"] = row.valid(RES_NAME, row.text(RES_NAME))
    if row.has(CERTIFICATIONS):
        cell = SEPARATORS.split(_code(row.raw[CERTIFICATIONS]))
        listed = [labels.certification_code(c.strip()) for c in cell if c.strip()]
        fields["certifications"] = row.valid(CERTIFICATIONS, listed)
    # An empty mode or status: the resource's own (or the default, for a new one).
    for key, column in (("modes", MODES), ("status", STATUS)):
        if code := row.choice(column):
            fields[key] = code
    return fields


def _quantity(row: _Cells) -> int | None:
    cell = row.raw[QUANTITY]
    if isinstance(cell, bool):
        row.fail(QUANTITY, QUANTITY.hint)
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = _code(cell)
    if not text:
        row.fail(QUANTITY, "不能为空 (required)")
        return None
    if not isinstance(cell, int) and not re.fullmatch(r"[+-]?\d+", text):
        row.fail(QUANTITY, QUANTITY.hint)
        return None
    valid: int | None = row.valid(QUANTITY, int(text))
    return valid


# -- checking the rows together, and against the pool ---------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """A clean file's pool: every organisation and resource it names, as each is to be after the import."""

    organisations: tuple[Organisation, ...]
    resources: tuple[Resource, ...]
    rows: int


def read_pool(
    data: bytes, pool: Pool, filename: str | None = None, content_type: str | None = None
) -> Imported:
    """The organisations and resources a file gives, checked against ``pool``; raises :class:`Invalid` with
    every problem found."""
    return check(read_sheet(data, filename, content_type), pool)


def check(sheet: Sheet, pool: Pool) -> Imported:
    """The rows of ``sheet`` as organisations and resources of ``pool``; raises :class:`Invalid`."""
    columns = _columns(sheet.header, sheet.rows)
    rows = [_read_row(number, cells, columns) for number, cells in sheet.rows]
    problems = [p for r in rows for p in r.problems]
    problems += _match(rows, pool)
    problems += _organisation_problems(rows, pool)
    problems += _resource_problems(rows, pool)
    if problems:
        raise Invalid(problems)
    return Imported(_organisations(rows, pool), _resources(rows, pool), len(rows))


def _match(rows: list[_Row], pool: Pool) -> Iterator[Problem]:
    """Each row's organisation and unit as the pool has them, where the row gives no id: an organisation by its
    name, a unit by its organisation and its name (one with no name: by what it does and where). One that
    matches none is new, and gets an id here; one that matches two is refused, as is a unit given twice."""
    made: dict[str, str] = {}
    taken: set[str] = set(pool.organisations)
    for row in rows:
        name = row.organisation_name
        if row.organisation is not None or name is None or row.problems:
            continue
        found = [o.id for o in pool.organisations.values() if o.name == name]
        unnamed = pool.organisations.get(OrganisationId(name))
        if not found and unnamed is not None and not unnamed.name:
            # One with no name is written by its id: the cell names it, and gives it no name.
            row.organisation, row.organisation_name = unnamed.id, None
        elif len(found) > 1:
            yield Problem(
                row.number,
                ORG_NAME.header,
                f"有 {len(found)} 个组织都叫这个名字：请先在资源库里把名字改得不同 "
                f"({len(found)} organisations have this name)",
                _cut(name),
            )
        elif found:
            row.organisation = found[0]
        else:
            if name not in made:
                made[name] = next_id(pool.prefix, "o", taken)
                taken.add(made[name])
            row.organisation = made[name]
    yield from _match_units(rows, pool)


def _match_units(rows: list[_Row], pool: Pool) -> Iterator[Problem]:
    sheet: dict[tuple[str, ...], int] = {}
    taken: set[str] = set(pool.resources)
    for row in rows:
        fields = row.resource
        if fields is None or fields["id"] is not None or row.organisation is None or row.problems:
            continue
        name, capability, location = fields.get("name") or "", fields["capability"], fields["location"]
        column, shown = (RES_NAME, name) if name else (LOCATION, location)
        key = (row.organisation, name) if name else (row.organisation, "", capability, location)
        if key in sheet:
            yield Problem(
                row.number,
                column.header,
                f"和第 {sheet[key]} 行是同一个资源：同一组织的资源名称不能重复 (the same unit as row {sheet[key]})",
                _cut(shown),
            )
            continue
        sheet[key] = row.number
        found = [
            r.id
            for r in pool.resources.values()
            if r.organisation == row.organisation
            and r.name == name
            # A unit with no name: by what it does and where (its place as the sheet writes it, or a node).
            and (name or (r.capability == capability and pool.where(location, r) == r.location))
        ]
        if len(found) > 1:
            yield Problem(
                row.number,
                column.header,
                f"这个组织有 {len(found)} 个资源都是这样：请先在资源库里给它们起不同的名字 "
                f"({len(found)} units of the organisation match)",
                _cut(shown),
            )
            continue
        rid = found[0] if found else next_id(pool.prefix, "r", taken)
        taken.add(rid)
        fields["id"] = rid


def _called(row: _Row) -> str:
    # An organisation as the sheet names it: an id only where the sheet gave one and no name.
    return row.organisation_name or str(row.organisation)


def _organisation_problems(rows: list[_Row], pool: Pool) -> Iterator[Problem]:
    """Each organisation's name and kind alike on all its rows and as registered; a new one's kind given."""
    first: dict[tuple[str, Column], tuple[int, str]] = {}
    for row in rows:
        if row.organisation is None:
            continue
        known = pool.organisations.get(OrganisationId(row.organisation))
        for column, shown, registered in (
            (ORG_NAME, row.organisation_name, known.name if known else None),
            (KIND, _shown(KIND, row.kind) if row.kind else None, _shown(KIND, known.kind) if known else None),
        ):
            if shown is None:
                continue
            if registered is not None:
                if shown != registered:
                    yield Problem(
                        row.number,
                        column.header,
                        f"组织「{_called(row)}」已登记为「{registered or '（空）'}」，导入不能修改已登记的组织 "
                        "(registered otherwise; an import cannot change an organisation)",
                        _cut(shown),
                    )
                continue
            earlier = first.setdefault((row.organisation, column), (row.number, shown))
            if earlier[1] != shown:
                yield Problem(
                    row.number,
                    column.header,
                    f"同一组织在第 {earlier[0]} 行填的是「{earlier[1]}」，两处要一致 "
                    f"(differs from row {earlier[0]})",
                    _cut(shown),
                )
    yield from _undefined(rows, pool)


def _undefined(rows: list[_Row], pool: Pool) -> Iterator[Problem]:
    """Organisations neither registered nor given a kind in the file (a kind not valid is reported apart)."""
    kinds_given = {r.organisation for r in rows if r.kind is not None}
    bad_kind = {r.organisation for r in rows if any(p.column == KIND.header for p in r.problems)}
    reported: set[str] = set()
    for row in rows:
        o = row.organisation
        if o is None or o in reported or o in kinds_given or o in bad_kind:
            continue
        if OrganisationId(o) not in pool.organisations:
            reported.add(o)
            yield Problem(
                row.number,
                KIND.header,
                f"组织「{_called(row)}」还没有登记：请在它的一行填写组织类型 (not registered: give its kind)",
                "",
            )


def _resource_problems(rows: list[_Row], pool: Pool) -> Iterator[Problem]:
    """Each resource once, of the organisation it belongs to, on the map, and not below what is sent."""
    seen: dict[str, int] = {}
    for row in rows:
        fields = row.resource
        if fields is None or fields["id"] is None:
            continue
        rid = fields["id"]
        if rid in seen:
            yield Problem(
                row.number, RES_ID.header, f"资源编号和第 {seen[rid]} 行重复 (given twice)", _cut(rid)
            )
        seen.setdefault(rid, row.number)
        known = pool.resources.get(ResourceId(rid))
        if known is not None and row.organisation is not None and known.organisation != row.organisation:
            owner = pool.organisations.get(known.organisation)
            called = owner.name if owner is not None and owner.name else known.organisation
            yield Problem(
                row.number,
                RES_ID.header,
                f"这个资源属于组织「{called}」，不能改到别的组织 (belongs to another organisation)",
                _cut(rid),
            )
        location = fields["location"]
        if location is not None and pool.where(location, known) is None:
            yield Problem(row.number, LOCATION.header, "地图上没有这个地点 (not on the map)", _cut(location))
        sent = pool.committed(ResourceId(rid)) if known is not None else 0
        if fields["quantity"] is not None and fields["quantity"] < sent:
            yield Problem(
                row.number,
                QUANTITY.header,
                f"已经派出 {sent} 个，数量不能少于 {sent} ({sent} units are already dispatched)",
                str(fields["quantity"]),
            )


def _organisations(rows: list[_Row], pool: Pool) -> tuple[Organisation, ...]:
    """Registered ones as they are; a new one with the name and kind its rows give (they agree by now)."""
    names: dict[str, str] = {}
    kinds: dict[str, OrganisationKind] = {}
    for row in rows:
        assert row.organisation is not None
        if row.organisation_name is not None:
            names.setdefault(row.organisation, row.organisation_name)
        if row.kind is not None:
            kinds.setdefault(row.organisation, row.kind)
    return tuple(
        pool.organisations.get(o)
        or Organisation(id=o, kind=kinds[o], community=pool.community, name=names.get(o, ""))
        for o in sorted({OrganisationId(str(r.organisation)) for r in rows})
    )


def _resources(rows: list[_Row], pool: Pool) -> tuple[Resource, ...]:
    made = []
    for row in rows:
        if row.resource is None:
            continue
        known = pool.resources.get(ResourceId(row.resource["id"]))
        base = known.model_dump() if known is not None else {}
        at = {"location": pool.where(row.resource["location"], known)} if row.resource["location"] else {}
        # Its organisation as matched by name, where the row gave no id.
        owner = {"organisation": row.organisation}
        made.append(Resource.model_validate({**base, **row.resource, **owner, **at}))
    return tuple(sorted(made, key=lambda r: r.id))


# -- what an import changes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """The commands that make the pool what the file says (new organisations first), and how many of each
    kind of thing are added, changed or already so."""

    commands: tuple[RegisterOrganisation | SaveResource, ...]
    summary: dict[str, dict[str, int]]


def changes(imported: Imported, pool: Pool) -> Changes:
    new = [o for o in imported.organisations if o.id not in pool.organisations]
    added = [r for r in imported.resources if r.id not in pool.resources]
    changed = [r for r in imported.resources if r.id in pool.resources and pool.resources[r.id] != r]
    commands: list[RegisterOrganisation | SaveResource] = [RegisterOrganisation(organisation=o) for o in new]
    commands += [SaveResource(resource=r) for r in (*added, *changed)]
    summary = {
        "organisations": {"added": len(new), "unchanged": len(imported.organisations) - len(new)},
        "resources": {
            "added": len(added),
            "changed": len(changed),
            "unchanged": len(imported.resources) - len(added) - len(changed),
        },
    }
    return Changes(tuple(commands), summary)
