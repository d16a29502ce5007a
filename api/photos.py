"""Evidence photos: decoded from the upload, checked to be the image they claim, named by their SHA-256."""

import base64
import binascii
import hashlib

from api.people_schemas import PhotoUpload
from api.store import Photo
from engine.coordinator import Rejected

MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each image kind accepted: a file is what it starts with, not what it is called.
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def decode(community: str, upload: PhotoUpload) -> Photo:
    try:
        data = base64.b64decode(upload.data, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("invalid", "photo.data", "the photo is not valid base64") from None
    if len(data) > MAX_BYTES:
        raise Rejected("invalid", "photo.data", f"the photo is {len(data)} bytes; at most {MAX_BYTES}")
    webp = upload.content_type != "image/webp" or data[8:12] == b"WEBP"
    if not data.startswith(SIGNATURES[upload.content_type]) or not webp:
        raise Rejected("invalid", "photo.data", f"the data is not a {upload.content_type} image")
    return Photo(community, hashlib.sha256(data).hexdigest(), upload.content_type, data)
