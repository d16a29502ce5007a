"""Fan-out of channel messages: one interface, one backend per file (in-process, Redis)."""

from api.pubsub.base import PubSub
from api.pubsub.memory import MemoryPubSub
from api.pubsub.redis import RedisPubSub


def pubsub_for(url: str | None) -> PubSub:
    """``redis://...`` fans out across server processes through Redis; nothing means in-process."""
    if url is None or url == "memory://":
        return MemoryPubSub()
    if url.startswith(("redis://", "rediss://")):
        return RedisPubSub(url)
    raise ValueError(f"--pubsub: unknown backend {url!r} (use memory:// or redis://host:port)")


__all__ = ["MemoryPubSub", "PubSub", "RedisPubSub", "pubsub_for"]
