"""Ids the server gives: the community's id, a letter for the kind, and the next number free in it."""

from collections.abc import Collection


def next_id(community: str, letter: str, taken: Collection[str]) -> str:
    """``{community}-{letter}{n}``, counting on from how many there are and past any taken (a client may have
    chosen an id of this shape).

    Called under the service's lock with the board as it is there, so two requests at once never get one id."""
    n = len(taken) + 1
    while f"{community}-{letter}{n}" in taken:
        n += 1
    return f"{community}-{letter}{n}"
