"""The tables. The event log is the source of truth; everything else is written in the same transaction."""

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class EventRow(SQLModel, table=True):
    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    community: str = Field(index=True, max_length=128)
    # The street whose partition the community belongs to (api/partitions.py): workers follow a partition's
    # log by it. Null only in a database written before partitions, until the service's first start fills it.
    partition: str | None = Field(default=None, index=True, max_length=128)
    type: str = Field(index=True, max_length=64)
    at: datetime = Field(index=True)
    actor: str = Field(max_length=200)
    incident: str | None = Field(default=None, index=True, max_length=128)
    # Drill traffic: marked on every row so it can never be mistaken for a real incident.
    exercise: bool = False
    data: str


class PlanVersionRow(SQLModel, table=True):
    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("community", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    community: str = Field(index=True, max_length=128)
    version: int
    incident: str | None = Field(default=None, index=True, max_length=128)
    exercise: bool = False
    at: datetime
    plan: str


class ChannelMessageRow(SQLModel, table=True):
    __tablename__ = "channel_message"
    __table_args__ = (UniqueConstraint("channel", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True, max_length=200)
    seq: int
    type: str = Field(max_length=64)
    at: datetime
    data: str


class Binding(SQLModel):
    """Who a token is for (api/auth.py): a role and the street, community, organisation or grid it is bound to,
    and the person's name; a sign-in link keeps the same until it is used."""

    role: str = Field(max_length=32)
    street: str | None = Field(default=None, max_length=128)
    community: str | None = Field(default=None, max_length=128)
    organisation: str | None = Field(default=None, max_length=128)
    grid: str | None = Field(default=None, max_length=128)
    name: str = Field(default="", max_length=200)


class TokenRow(Binding, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    # Only a hash is kept: a stolen database gives no working tokens.
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime
    # Set once, by the first revocation (pingzhan token revoke, or the tokens API): who did it, and when.
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=200)


class SigninCodeRow(Binding, table=True):
    """A one-time sign-in link made for a person (api/signin.py): used once, within its day, for a new token
    with the binding kept here. Only a hash of the code is kept, as for tokens."""

    __tablename__ = "signin_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    made_by: str = Field(max_length=200)
    created_at: datetime
    expires_at: datetime
    # Set by the one exchange that succeeds, with the token it made.
    used_at: datetime | None = None
    token_id: int | None = None


class IdempotencyRow(SQLModel, table=True):
    __tablename__ = "idempotency"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=200)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status: int
    response: str
    at: datetime


class PhotoRow(SQLModel, table=True):
    """Evidence photos, kept beside the events that name them (by SHA-256) and written with them."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("community", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    community: str = Field(index=True, max_length=128)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    at: datetime


class IdRow(SQLModel, table=True):
    """Every id a command introduces, written with its events: the database itself refuses a second one, so
    no check that races (two requests, two workers) can ever let two objects share an id. Ids inside a
    community are the community's own; a community's own id is kept with ``community`` = itself."""

    __tablename__ = "entity_id"
    __table_args__ = (UniqueConstraint("community", "kind", "entity"),)

    id: int | None = Field(default=None, primary_key=True)
    community: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    entity: str = Field(max_length=200)


class LeaseRow(SQLModel, table=True):
    """Which worker owns a partition, until when, and the fencing token of its tenure (api/leases/). The
    database's clock is the only judge of ``expires_at``; every write for the partition checks the token in its
    own transaction, so a worker that lost the lease can never write."""

    __tablename__ = "lease"

    partition: str = Field(primary_key=True, max_length=128)
    owner: str = Field(max_length=64)
    token: int
    expires_at: datetime


class WorkerRow(SQLModel, table=True):
    """A live worker and the address other workers forward its partitions' commands to."""

    __tablename__ = "worker"

    id: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=300)
    seen_at: datetime


class SnapshotRow(SQLModel, table=True):
    """A community's board as of event ``event`` (engine/coordinator/snapshot.py): start and takeover read it
    and replay only the events after it. A cache of the log, never its truth: one that does not load is
    ignored."""

    __tablename__ = "snapshot"

    community: str = Field(primary_key=True, max_length=128)
    event: int
    at: datetime
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OutboxRow(SQLModel, table=True):
    """A notice to send through one of the operator's notifiers (api/notifiers/), written in the same transaction
    as the event that caused it, so that none is lost and none is sent for an event that was not kept. Sent by
    the worker that owns ``partition``; ``delivery`` goes with every try, for the receiver to drop repeats."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "partition", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery: str = Field(unique=True, max_length=64)
    partition: str = Field(max_length=128)
    notifier: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=64)
    community: str = Field(max_length=128)
    exercise: bool = False
    title: str
    text: str
    link: str = Field(max_length=500)
    at: datetime
    due_at: datetime
    tries: int = 0
    # pending, delivered, or failed (given up: still shown on the street's console).
    state: str = Field(default="pending", max_length=16)
    # The last failed try, and why in plain words (kept once it was delivered after all).
    failed_at: datetime | None = None
    error: str | None = None
    # Delivered, or given up.
    done_at: datetime | None = None
