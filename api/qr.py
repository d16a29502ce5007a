"""Links as QR codes, drawn on the server as SVG data: URLs: sharp on screen and on paper at any size, and the
page shows them with no script of its own."""

from functools import lru_cache

import segno


@lru_cache(maxsize=4096)
def qr_svg(link: str, scale: int = 4) -> str:
    """Drawn once per link and size: a street prints hundreds of building links at a time."""
    return str(segno.make(link, error="m").svg_data_uri(scale=scale, border=2))
