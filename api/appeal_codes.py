"""The random codes residents hold: a building's link and an appeal's receipt. Made here, by the service: the
engine only checks and records them (it never draws random numbers)."""

import secrets

from engine.governance.appeals import RECEIPT_ALPHABET, RECEIPT_LENGTH


def new_building_code() -> str:
    """24 random bytes: one building's link cannot be guessed from another's."""
    return secrets.token_urlsafe(24)


def new_receipt() -> str:
    """Ten letters and digits that cannot be misread (about 50 bits): short enough to copy down by hand."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
