"""Whose a unit is, across a street. On its own community's board a resource, an organisation or a need is
named by its bare id; another community's, or one of the street's own pool, is named ``home/id``, where
``home`` is that community's id or the street's key (``street:{id}``). Ids people give never hold ``/`` or
``:`` (the API's id pattern), so neither a ref nor a street key can be taken for a bare id."""

from engine.model.ids import CommunityId, StreetId

SEPARATOR = "/"
STREET_PREFIX = "street:"


def street_key(street: StreetId | str) -> CommunityId:
    """The key the street's own board (its pool, its inbox answers) is kept under, beside its communities."""
    return CommunityId(f"{STREET_PREFIX}{street}")


def is_street_key(key: str) -> bool:
    return key.startswith(STREET_PREFIX)


def street_of_key(key: str) -> StreetId:
    return StreetId(key.removeprefix(STREET_PREFIX))


def qualify(home: str, ident: str) -> str:
    """``ident`` of ``home``, as every other board names it (an id already qualified stays as it is)."""
    return ident if SEPARATOR in ident else f"{home}{SEPARATOR}{ident}"


def split(ref: str) -> tuple[str | None, str]:
    """(home, id) of a ref; home is None for a bare id (the board's own)."""
    home, separator, ident = ref.partition(SEPARATOR)
    return (home, ident) if separator else (None, ref)


def home_of(ref: str, board: str) -> str:
    """The key of the board that owns ``ref``, as seen from ``board``."""
    home, _ = split(ref)
    return board if home is None else home


def seen_from(board: str, home: str, ident: str) -> str:
    """How ``board`` names ``ident`` of ``home``: bare when it is its own."""
    return ident if home == board else f"{home}{SEPARATOR}{ident}"
