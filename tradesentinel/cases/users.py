"""Named API keys: who is calling. Each key is stored only as its SHA-256 (keys are 32 random bytes,
so a fast hash is as safe as a slow one); a presented key is checked against every live hash and the
environment's unnamed key in constant time, so timing tells nothing about which part matched."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tradesentinel.cases.db import Database
from tradesentinel.cases.models import ApiKey, now
from tradesentinel.errors import ConflictError, InvalidArgumentError, NotFoundError, echo

KEYS_TTL_S = 2.0
"""How long the key list read from the database is trusted."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class User:
    """Who made a request: a key's name, the unnamed key's user, or `local` on an open server."""

    name: str
    via: str  # "key" (a named key), "env" (TRADESENTINEL_API_KEY) or "open" (no key configured)


@dataclass(frozen=True)
class KeyInfo:
    """A named key as `users list` shows it (never the key)."""

    name: str
    created_at: datetime
    revoked_at: datetime | None


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def check_name(name: str) -> str:
    """A user name: letters, digits, . _ @ -, at most 64 characters."""
    if not NAME.fullmatch(name or ""):
        raise InvalidArgumentError(
            "name", f"{echo(name)} is not a user name", hint="use letters, digits, '.', '_', '@', '-'"
        )
    return name


class KeyRing:
    """The named keys of one database, and the environment's unnamed key (settings.api_key)."""

    def __init__(self, db: Database):
        self.db = db
        self.settings = db.settings

    def add(self, name: str) -> str:
        """A new key for `name` (returned once, stored hashed); ConflictError if the name has a live key."""
        check_name(name)
        key = "ts_" + secrets.token_urlsafe(32)
        with self.db.session() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.name == name))
            if row is not None and row.revoked_at is None:
                raise ConflictError(f"user {name!r} already has a key", hint="revoke it first")
            if row is not None:
                row.key_hash, row.revoked_at, row.created_at = key_hash(key), None, now()
            else:
                session.add(ApiKey(name=name, key_hash=key_hash(key)))
        self.db.cache.pop("keys", None)
        return key

    def revoke(self, name: str) -> None:
        """Revoke `name`'s key; NotFoundError when it has no live key."""
        with self.db.session() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))
            if row is None:
                raise NotFoundError(f"no live key for user {echo(name)}")
            row.revoked_at = now()
        self.db.cache.pop("keys", None)

    def list(self) -> list[KeyInfo]:
        """Every named key, live or revoked, by name."""
        with self.db.session() as session:
            rows = session.scalars(select(ApiKey).order_by(ApiKey.name)).all()
            return [KeyInfo(r.name, r.created_at, r.revoked_at) for r in rows]

    def _keys(self) -> tuple[list[tuple[str, str]], bool]:
        """The live (name, hash) pairs, and whether any named key was ever made: read at most every
        KEYS_TTL_S seconds (a key added or revoked by this process counts at once; by another, such as
        the CLI, within that time), so a request does not cost a database query."""
        cached = self.db.cache.get("keys")
        if cached is not None and time.monotonic() - cached[0] < KEYS_TTL_S:
            return cached[1]
        with self.db.session() as session:
            rows = session.execute(select(ApiKey.name, ApiKey.key_hash, ApiKey.revoked_at)).all()
        keys = ([(r[0], r[1]) for r in rows if r[2] is None], bool(rows))
        self.db.cache["keys"] = (time.monotonic(), keys)
        return keys

    def required(self) -> bool:
        """Whether callers must show a key: one is set in the environment or a named key was ever made
        (revoking the last key does not open the server)."""
        return bool(self.settings.api_key) or self._keys()[1]

    def user(self, key: str | None) -> User | None:
        """The user a presented key belongs to; None when no key matches (every comparison runs)."""
        live, ever = self._keys()
        if not self.settings.api_key and not ever:
            return User("local", "open")
        if not key:
            return None
        found: User | None = None
        digest = key_hash(key)
        for name, stored in live:
            if hmac.compare_digest(digest, stored):
                found = User(name, "key")
        if self.settings.api_key and hmac.compare_digest(key.encode(), self.settings.api_key.encode()):
            found = found or User(self.settings.api_user, "env")
        return found

    def login(self, username: str, password: str) -> bool:
        """The UI login: the password is a key, and the user name must be that key's name."""
        user = self.user(password)
        return user is not None and hmac.compare_digest(user.name.encode(), (username or "").encode())
