"""Case work in a real database: named API keys (users), cases with notes, attached flows and an audit
log, and watchlists with their "new for you" hits. SQLite under the data dir by default (any SQLAlchemy
URL via `TRADESENTINEL_DB_URL`), its schema owned by Alembic migrations so an upgrade keeps old cases.

It sits at the investigate level: it reads the anomaly tables through `investigate/`, and the API, the
UI and the CLI call it. Storage I/O happens only through `db.Database`, opened by the caller.
"""
