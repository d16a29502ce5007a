"""Standard messages out, for everyone who reads the whole community (not an organisation, which sees only its
own assignments): the open incident's needs and dispatches as EDXL-RM 1.0 XML, its printable resource request,
and the board as GeoJSON."""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from api.access import check_reads_everything
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.exports import edxl_rm, geojson, resource_request
from api.exports.scope import open_incident

router = APIRouter(prefix="/communities/{community}", tags=["exports 标准格式导出"])
XML = "application/xml"
GEOJSON = "application/geo+json"


@router.get(
    "/incidents/{incident}/edxl-rm/request-resource",
    response_class=Response,
    responses={
        200: {"content": {XML: {}}, "description": "EDXL-RM 1.0 RequestResource message"},
        409: {"description": "没有可导出的需求，或事件已结束 (no open need, or the incident is closed)"},
    },
)
def request_resource(
    incident: str, board: BoardDep, principal: PrincipalDep, service: ServiceDep
) -> Response:
    """The open incident's open needs as one EDXL-RM 1.0 RequestResource message, one ResourceInformation per
    need (409 when none is open, or the incident is closed)."""
    check_reads_everything(principal, board)
    message = edxl_rm.request_resource(board, open_incident(board, incident), service.clock())
    return Response(edxl_rm.document(message), media_type=XML)


@router.get(
    "/incidents/{incident}/edxl-rm/commit-resource",
    response_class=Response,
    responses={
        200: {"content": {XML: {}}, "description": "EDXL-RM 1.0 CommitResource message"},
        409: {
            "description": "没有已派出的力量，或事件已结束 (no committed dispatch, or the incident is closed)"
        },
    },
)
def commit_resource(incident: str, board: BoardDep, principal: PrincipalDep, service: ServiceDep) -> Response:
    """The open incident's committed dispatches as one EDXL-RM 1.0 CommitResource message, one
    ResourceInformation per dispatch (409 when there is none, or the incident is closed)."""
    check_reads_everything(principal, board)
    message = edxl_rm.commit_resource(board, open_incident(board, incident), service.clock())
    return Response(edxl_rm.document(message), media_type=XML)


@router.get(
    "/incidents/{incident}/resource-request.html",
    response_class=HTMLResponse,
    responses={
        409: {"description": "没有待请求的需求，或事件已结束 (no open need, or the incident is closed)"}
    },
)
def resource_request_sheet(
    incident: str,
    board: BoardDep,
    principal: PrincipalDep,
    service: ServiceDep,
    need: Annotated[
        str | None, Query(max_length=200, description="one need's id; all open needs if not given")
    ] = None,
) -> HTMLResponse:
    """资源请求单: a printable A4 resource request per open need of the open incident (ICS-213RR style)."""
    check_reads_everything(principal, board)
    page = resource_request.sheet(board, open_incident(board, incident), service.clock(), need)
    return HTMLResponse(page)


@router.get(
    "/geojson",
    response_class=Response,
    responses={
        200: {"content": {GEOJSON: {}}, "description": "RFC 7946 FeatureCollection"},
        409: {"description": "地图没有经纬度坐标 (grid map)"},
    },
)
def board_geojson(board: BoardDep, principal: PrincipalDep) -> Response:
    """The open needs and units as points and the plan's dispatches as lines, [longitude, latitude] (RFC 7946);
    409 on a map with no coordinates (a grid)."""
    check_reads_everything(principal, board)
    collection = geojson.feature_collection(board)
    return Response(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), media_type=GEOJSON)
