"""Evidence photos: decoded from the upload, checked to be the image they claim, named by their SHA-256."""

import base64
import binascii
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

from api.people_schemas import PhotoUpload
from api.store import Photo
from engine.coordinator import Rejected

MAX_BYTES = 5 * 1024 * 1024
# A resident's photo, from a page that shrinks it before sending: smaller, for a slow connection and because
# anyone with the building's link may send one.
RESIDENT_MAX_BYTES = 2 * 1024 * 1024
# A few bytes of header can claim any size; decoding allocates what it claims. 40 megapixels is more than a
# phone camera's photo (and the console shrinks large ones before sending).
MAX_PIXELS = 40_000_000
# The Pillow decoder for each content type accepted.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def decode(community: str, upload: PhotoUpload, max_bytes: int = MAX_BYTES) -> Photo:
    try:
        data = base64.b64decode(upload.data, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("invalid", "photo.data", "the photo is not valid base64") from None
    if len(data) > max_bytes:
        raise Rejected("invalid", "photo.data", f"the photo is {len(data)} bytes; at most {max_bytes}")
    _check_image(data, upload.content_type)
    return Photo(community, hashlib.sha256(data).hexdigest(), upload.content_type, data)


def _check_image(data: bytes, content_type: str) -> None:
    """The data is a whole image of the claimed kind, within the pixel limit: a file is what decodes, not
    what its first bytes or its name say."""
    claimed = FORMATS[content_type]
    # Opening reads the header only; verify() checks the file's structure (chunk checksums) without decoding
    # the pixels.
    with _decoding(content_type), Image.open(io.BytesIO(data), formats=list(FORMATS.values())) as image:
        found, (width, height) = image.format, image.size
        image.verify()
    if found != claimed:
        raise Rejected("invalid", "photo.data", f"the data is a {found} image, not {content_type}")
    if width * height > MAX_PIXELS:
        raise Rejected(
            "invalid", "photo.data", f"the photo is {width}×{height} pixels; at most {MAX_PIXELS:,} pixels"
        )
    # Every pixel decoded, now that their number is known to be bounded (verify() leaves the file unusable).
    with _decoding(content_type), Image.open(io.BytesIO(data), formats=[claimed]) as image:
        image.load()


@contextmanager
def _decoding(content_type: str) -> Iterator[None]:
    """Pillow's refusals as the upload's: a file it cannot read is not the image it claims to be."""
    try:
        yield
    except Image.DecompressionBombError:
        # Pillow's own limit, far above ours, stops a header claiming billions of pixels before its size is seen.
        raise Rejected("invalid", "photo.data", f"the photo has more than {MAX_PIXELS:,} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports a broken or truncated file as any of these, depending on the format and the damage.
        raise Rejected(
            "invalid", "photo.data", f"the data is not a {content_type} image that decodes"
        ) from None
