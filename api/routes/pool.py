"""The community's resource pool as a spreadsheet: downloaded as .xlsx or CSV, and imported back all at once
or not at all. For the community's cadres and its street, who keep the pool in Excel."""

import asyncio
import email.policy
import re
from dataclasses import asdict
from email.parser import BytesParser
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api import pool_file
from api.access import Forbidden, manages_community
from api.auth import Principal
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.ids import next_id
from api.places import place_name
from api.problems import problem
from api.service import Idempotency, Order, Service
from engine.coordinator import Board, RegisterOrganisation, SaveResource

router = APIRouter(prefix="/communities/{community}", tags=["pool 资源库"])

CSV_MEDIA = "text/csv"
# An answer lists at most this many problems (and says how many there are): enough for any file a person
# fixes by hand, and a bounded answer for a file that is wrong throughout.
LISTED = 1000
DryRun = Annotated[
    bool, Query(description="只检查、不写入：回答导入后的数目 (check and count only; write nothing)")
]
FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "表格文件本身（.xlsx 或 CSV），或表单里名为 file 的文件 (the file itself, or as a form's file)",
        "content": {
            pool_file.XLSX_MEDIA: {"schema": {"type": "string", "format": "binary"}},
            CSV_MEDIA: {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def _check_manager(principal: Principal, board: Board) -> None:
    if not manages_community(principal, board):
        raise Forbidden(
            "只有本社区干部或街道可以导出或导入资源库 (only the community's cadres or the street)"
        )


def _download(board: Board, data: bytes, extension: str, media: str) -> Response:
    assert board.community is not None
    community = board.community
    # The community's name for people; the id, in ASCII, for clients that cannot read RFC 5987's form.
    name = f"{community.name or community.id}资源库.{extension}"
    fallback = re.sub(r"[^A-Za-z0-9_.-]", "_", f"pool-{community.id}.{extension}")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


def _rows(board: Board) -> list[list[pool_file.Cell]]:
    return pool_file.table(
        board.organisations.values(), board.resources.values(), lambda node: place_name(board, node)
    )


@router.get(
    "/pool.xlsx",
    response_class=Response,
    responses={
        200: {
            "description": "资源库 Excel 表格 (the pool as a workbook)",
            "content": {pool_file.XLSX_MEDIA: {}},
        }
    },
)
async def export_xlsx(board: BoardDep, principal: PrincipalDep) -> Response:
    _check_manager(principal, board)
    return await xlsx(board)


async def xlsx(board: Board) -> Response:
    # The rows are read here, on the loop that changes the board; the workbook is written off it.
    data = await asyncio.to_thread(pool_file.to_xlsx, _rows(board))
    return _download(board, data, "xlsx", pool_file.XLSX_MEDIA)


@router.get(
    "/pool.csv",
    response_class=Response,
    responses={
        200: {"description": "资源库 CSV (UTF-8, with a byte-order mark)", "content": {CSV_MEDIA: {}}}
    },
)
async def export_csv(board: BoardDep, principal: PrincipalDep) -> Response:
    _check_manager(principal, board)
    return csv(board)


def csv(board: Board) -> Response:
    return _download(board, pool_file.to_csv_bytes(_rows(board)), "csv", f"{CSV_MEDIA}; charset=utf-8")


@router.post("/pool/import", response_model=None, openapi_extra=FILE_BODY)
async def import_pool(
    request: Request,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    dry_run: DryRun = False,
) -> dict[str, Any] | JSONResponse:
    """Organisations and resources from a file: every row checked, and all of them written in one go or, if
    any row has a problem, none (422 listing each problem with its row and column). Organisations already
    registered stay as they are; resources given are added or changed; nothing not in the file is removed."""
    _check_manager(principal, board)
    return await import_into(request, board, service, principal, idempotency, dry_run)


async def import_into(
    request: Request,
    board: Board,
    service: Service,
    principal: Principal,
    idempotency: Idempotency | None,
    dry_run: bool,
) -> dict[str, Any] | JSONResponse:
    """The import into ``board`` (a community's, or the street's own pool), the caller's access checked."""
    try:
        data, filename, content_type = _upload(await request.body(), request.headers.get("content-type", ""))
        sheet = await asyncio.to_thread(pool_file.read_sheet, data, filename, content_type)
        # Checked on the loop, against the board as it is now; applied under the service's lock, where a
        # change since (an id taken meanwhile) refuses the whole import.
        pool = pool_file.Pool.of(board)
        imported = pool_file.check(sheet, pool)
    except pool_file.Invalid as invalid:
        return _refused(invalid)
    changes = pool_file.changes(imported, pool)
    summary = {"dry_run": dry_run, "rows": imported.rows, **changes.summary}
    if dry_run:
        return summary
    _, result = await service.execute_many(
        [(board.key, _fresh(command, pool)) for command in changes.commands],
        principal,
        lambda boards, steps: (200, summary),
        idempotency,
    )
    return result  # type: ignore[no-any-return]


def _fresh(command: RegisterOrganisation | SaveResource, pool: pool_file.Pool) -> Order:
    """A new unit's id, made when the file was checked, made again under the service's lock if another
    request (another import at once) has taken it since: a unit is never saved over another."""
    if not isinstance(command, SaveResource) or command.resource.id in pool.resources:
        return command
    save = command

    def order(now: Board) -> SaveResource:
        if save.resource.id not in now.resources:
            return save
        fresh = next_id(pool.prefix, "r", now.resources)
        return SaveResource(resource=save.resource.model_copy(update={"id": fresh}))

    return order


def _upload(body: bytes, content_type: str) -> tuple[bytes, str | None, str]:
    """The file, its name if the client gave one, and its content type: the body itself, or a form's file."""
    if not content_type.lower().startswith("multipart/form-data"):
        return body, None, content_type
    # The standard library's MIME parser reads a form as it reads a mail: the file's bytes come back as sent.
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    form = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    for part in form.iter_parts() if form.is_multipart() else ():
        if part.get_filename() is not None or part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            return data, part.get_filename(), part.get_content_type()
    raise pool_file.Invalid(
        [
            pool_file.Problem(
                None, None, "表单里没有文件 (no file in the form: send it as the field file)", None
            )
        ]
    )


def _refused(invalid: pool_file.Invalid) -> JSONResponse:
    found = invalid.problems
    # Each problem as the other routes' errors read (field, message), and where it is in the sheet.
    errors = [{**asdict(p), "field": p.column or "", "message": p.sentence()} for p in found[:LISTED]]
    detail = (
        f"文件里有 {len(found)} 处问题，什么都没有导入 ({len(found)} problems; nothing was imported). "
        f"{found[0].sentence()}"
    )
    return problem(
        422, "文件有误 Invalid file", detail, field=found[0].column or "", errors=errors, problems=len(found)
    )
