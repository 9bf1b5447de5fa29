"""`tradesentinel users ...` (named API keys) and `tradesentinel watch` (what is new on the watchlists);
`refresh_watchlists` runs after every `score` and `ingest`. `cli.py` adds these groups."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tradesentinel.cli_common import load_settings
from tradesentinel.config import Settings

users_app = typer.Typer(
    help="Named API keys: one per analyst (the name shows in audit logs).", no_args_is_help=True
)
watch_app = typer.Typer(help="Watchlists: print what is new for you (default), add or list entries.")


def refresh_watchlists(settings: Settings) -> int:
    """Record what every watchlist now matches that it did not before; prints how many (when any)."""
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.watch import Watchlists
    from tradesentinel.investigate.tables import TableStore

    db = Database(settings)
    try:
        added = Watchlists(db, TableStore(settings)).refresh()
    finally:
        db.close()
    if added:
        Console().print(f"watchlists: {added:,} new matches (`tradesentinel watch` lists them)")
    return added


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (letters, digits, . _ @ -).")],
) -> None:
    """Make a key for NAME and print it once (only its hash is stored)."""
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.users import KeyRing

    key = KeyRing(Database(load_settings())).add(name)
    Console().print(f"key for {name} (shown once, store it now):")
    typer.echo(key)


@users_app.command("list")
def users_list() -> None:
    """The named keys, live and revoked (never the keys)."""
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.users import KeyRing

    table = Table(title="API keys")
    for column in ("name", "created (UTC)", "revoked (UTC)"):
        table.add_column(column)
    for info in KeyRing(Database(load_settings())).list():
        table.add_row(
            info.name,
            f"{info.created_at:%Y-%m-%d %H:%M}",
            f"{info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "",
        )
    Console().print(table)


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument(help="Whose key to revoke.")]) -> None:
    """Revoke NAME's key: its requests get 401 from now on."""
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.users import KeyRing

    KeyRing(Database(load_settings())).revoke(name)
    Console().print(f"revoked the key of {name}")


UserOption = Annotated[str | None, typer.Option(help="Whose watchlist (default: everyone's).")]


@watch_app.callback(invoke_without_command=True)
def watch(
    ctx: typer.Context,
    user: UserOption = None,
    mark_seen: Annotated[bool, typer.Option(help="Mark what is printed as seen.")] = False,
) -> None:
    """Print what is new on the watchlists since the last `score` or `ingest` (anomalies, sanctions)."""
    if ctx.invoked_subcommand:
        return
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.watch import Watchlists
    from tradesentinel.investigate.tables import TableStore

    settings = load_settings()
    watchlists = Watchlists(Database(settings), TableStore(settings))
    hits = watchlists.new(user)
    table = Table(title=f"new for {user or 'everyone'}: {len(hits)}")
    for column in ("watch", "source", "what", "ref", "found (UTC)"):
        table.add_column(column)
    for hit in hits:
        table.add_row(
            f"{hit.watch_kind} {hit.watch_value}",
            hit.source,
            hit.text,
            hit.ref,
            f"{hit.found_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)
    if mark_seen:
        watchlists.mark_seen(user)


@watch_app.command("add")
def watch_add(
    user: Annotated[str, typer.Option(help="Whose watchlist.")],
    kind: Annotated[str, typer.Argument(help="name, corridor (KGZ>RUS or RUS) or hs.")],
    value: Annotated[str, typer.Argument(help="The party name, corridor or HS code.")],
) -> None:
    """Watch a party name, a corridor or an HS code (what it matches now counts as seen)."""
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.watch import WatchIn, Watchlists
    from tradesentinel.errors import InvalidArgumentError
    from tradesentinel.investigate.tables import TableStore

    if kind not in ("name", "corridor", "hs"):
        raise InvalidArgumentError.choice("kind", kind, ("name", "corridor", "hs"))
    settings = load_settings()
    entry = Watchlists(Database(settings), TableStore(settings)).add(user, WatchIn(kind=kind, value=value))
    Console().print(f"{user} watches {entry.kind} {entry.value}")


@watch_app.command("list")
def watch_list(user: UserOption = None) -> None:
    """The watchlist entries."""
    from tradesentinel.cases.db import Database
    from tradesentinel.cases.watch import Watchlists
    from tradesentinel.investigate.tables import TableStore

    settings = load_settings()
    table = Table(title="watchlists")
    for column in ("id", "owner", "kind", "value"):
        table.add_column(column)
    for entry in Watchlists(Database(settings), TableStore(settings)).entries(user):
        table.add_row(str(entry.id), entry.owner, entry.kind, entry.value)
    Console().print(table)
