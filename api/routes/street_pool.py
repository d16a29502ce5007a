"""The street's own pool as a spreadsheet, as a community's (api/routes/pool.py): for the street's staff."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api import pool_file
from api.deps import IdempotencyDep, PrincipalDep, ServiceDep, StreetBoardDep
from api.routes.pool import CSV_MEDIA, FILE_BODY, DryRun, csv, import_into, xlsx
from api.routes.streets import street_staff

router = APIRouter(prefix="/streets/{street}", tags=["pool 资源库"])


@router.get(
    "/pool.xlsx",
    response_class=Response,
    responses={200: {"description": "街道资源库 Excel 表格", "content": {pool_file.XLSX_MEDIA: {}}}},
)
async def export_xlsx(street: str, board: StreetBoardDep, principal: PrincipalDep) -> Response:
    street_staff(principal, street)
    return await xlsx(board)


@router.get(
    "/pool.csv",
    response_class=Response,
    responses={
        200: {"description": "街道资源库 CSV (UTF-8, with a byte-order mark)", "content": {CSV_MEDIA: {}}}
    },
)
async def export_csv(street: str, board: StreetBoardDep, principal: PrincipalDep) -> Response:
    street_staff(principal, street)
    return csv(board)


@router.post("/pool/import", response_model=None, openapi_extra=FILE_BODY)
async def import_pool(
    street: str,
    request: Request,
    board: StreetBoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    dry_run: DryRun = False,
) -> dict[str, Any] | JSONResponse:
    """The street's organisations (no community) and their resources, all at once or not at all."""
    street_staff(principal, street)
    return await import_into(request, board, service, principal, idempotency, dry_run)
