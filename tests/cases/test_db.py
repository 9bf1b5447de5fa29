"""The case database: migrations keep old cases, named keys are stored hashed and can be revoked."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine

from tradesentinel.cases.db import Database
from tradesentinel.cases.store import CaseStore
from tradesentinel.cases.types import CaseChange, CaseOpen
from tradesentinel.cases.users import KeyRing
from tradesentinel.errors import ConflictError, InvalidArgumentError
from tradesentinel.investigate.tables import TableStore


def test_upgrading_from_the_first_migration_keeps_cases(scored_world, tmp_path):
    settings = scored_world.model_copy(update={"db_url": f"sqlite:///{tmp_path / 'old.db'}"})
    engine = create_engine(settings.db_url)
    Database(settings).migrate("0001", engine=engine)  # the database as the first release left it
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO cases (title, status, tags, data_versions, created_by, created_at, updated_at) "
            "VALUES ('kept', 'open', '[]', '{}', 'alice', '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
        )
    engine.dispose()
    db = Database(settings)
    assert db.revision() == "0002"  # opening it upgrades to head
    cases = CaseStore(db, TableStore(settings))
    assert [(c.title, c.created_by) for c in cases.list()] == [("kept", "alice")]
    changed = cases.change(cases.list()[0].id, CaseChange(status="closed"), "bob")
    assert changed.status == "closed" and changed.audit[-1].actor == "bob"
    db.close()


def test_keys_are_hashed_named_and_revocable(settings):
    db = Database(settings)
    keys = KeyRing(db)
    assert not keys.required() and keys.user(None).via == "open"
    key = keys.add("alice")
    with pytest.raises(ConflictError):
        keys.add("alice")
    with pytest.raises(InvalidArgumentError):
        keys.add("no spaces please")
    raw = (
        sqlite3.connect(settings.data_dir / "tradesentinel.db")
        .execute("SELECT key_hash FROM api_keys")
        .fetchall()
    )
    assert key not in str(raw) and len(raw[0][0]) == 64
    assert keys.required() and keys.user(key).name == "alice" and keys.user("ts_wrong") is None
    assert keys.login("alice", key) and not keys.login("bob", key)
    keys.revoke("alice")
    assert keys.user(key) is None and keys.list()[0].revoked_at is not None
    db.close()


def test_open_case_needs_a_subject(scored_world, tmp_path):
    settings = scored_world.model_copy(update={"db_url": f"sqlite:///{tmp_path / 'c.db'}"})
    cases = CaseStore(Database(settings), TableStore(settings))
    with pytest.raises(InvalidArgumentError, match="flow_id"):
        cases.open(CaseOpen(title="nothing"), "alice")
