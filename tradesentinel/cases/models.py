"""The database tables as SQLAlchemy ORM classes: the shape at the newest migration (migrations/versions)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    """The current time in UTC (what every timestamp column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Base of the ORM classes."""


class ApiKey(Base):
    """A named API key: only the SHA-256 of the key is stored; the name is the user."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class CaseRow(Base):
    """A case on a flow or a corridor, pinned to the scores and data versions it was opened on."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    disposition: Mapped[str | None] = mapped_column(String(20), default=None)
    assignee: Mapped[str | None] = mapped_column(String(64), default=None)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    reporter: Mapped[str | None] = mapped_column(String(3), default=None)
    partner: Mapped[str | None] = mapped_column(String(3), default=None)
    flow: Mapped[str | None] = mapped_column(String(2), default=None)
    hs_code: Mapped[str | None] = mapped_column(String(6), default=None)
    scores_version: Mapped[str | None] = mapped_column(String(64), default=None)
    data_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class CaseFlowRow(Base):
    """A flow attached to a case."""

    __tablename__ = "case_flows"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=now)


class NoteRow(Base):
    """A note on a case."""

    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)


class EventRow(Base):
    """One line of a case's audit log: who changed what, when (`detail`: field, old and new values)."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=now)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class WatchRow(Base):
    """A watchlist entry of one user: a party name, a corridor (KGZ>RUS, or one country) or an HS prefix."""

    __tablename__ = "watchlist"
    __table_args__ = (UniqueConstraint("owner", "kind", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now)


class WatchHitRow(Base):
    """Something a watchlist entry matched (an anomaly or a sanctions entry), new until the owner saw it."""

    __tablename__ = "watch_hits"
    __table_args__ = (
        UniqueConstraint("watch_id", "ref"),
        Index("ix_watch_hits_owner_seen", "owner", "seen"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watchlist.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime] = mapped_column(default=now)
    seen: Mapped[bool] = mapped_column(default=False)
