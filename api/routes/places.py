"""A community's places by the names people use, for the place picker (a list, a search); the street's own for its
pool's units."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import BoardDep, StreetBoardDep
from api.places import place_json, places_of
from engine.coordinator import Board

router = APIRouter(tags=["places 地点"])

Q = Annotated[str, Query(max_length=200, description="part of a name or an address; empty: the first places")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _found(board: Board, q: str, limit: int) -> list[dict[str, Any]]:
    """Buildings, units, landmarks and streets whose name fits ``q``, the closest fits first. Read on the event
    loop, as every board is, where no command is half applied."""
    places = places_of(board)
    return [] if places is None else [place_json(p) for p in places.search(q, limit)]


@router.get("/communities/{community}/places")
async def community_places(board: BoardDep, q: Q = "", limit: Limit = 20) -> list[dict[str, Any]]:
    return _found(board, q, limit)


@router.get("/streets/{street}/places")
async def street_places(board: StreetBoardDep, q: Q = "", limit: Limit = 20) -> list[dict[str, Any]]:
    return _found(board, q, limit)
