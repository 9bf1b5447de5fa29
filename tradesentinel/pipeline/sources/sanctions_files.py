"""What a sanctions `--file` may be: a list file, a folder of them, or a gz or zip of either, told by
content rather than name; the readers then see plain files on disk.

`local_files` unpacks an archive into a temporary folder for as long as the read lasts (an error in
a member names the archive and the member, never the temporary folder). `list_files` gives the
files a folder holds; `is_xml` tells an XML export from a delimited file by its first bytes.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from tradesentinel.errors import InputError
from tradesentinel.pipeline.sources.rawfile import BOM, GZIP_MAGIC, ZIP_MAGIC, zip_members

OFAC_ROLES: dict[str, tuple[str, str]] = {
    "sdn.csv": ("sdn.csv", "OFAC-SDN"),
    "add.csv": ("add.csv", "OFAC-SDN"),
    "alt.csv": ("alt.csv", "OFAC-SDN"),
    "sdn_comments.csv": ("sdn_comments.csv", "OFAC-SDN"),
    "cons_prim.csv": ("sdn.csv", "OFAC-CONS"),
    "cons_add.csv": ("add.csv", "OFAC-CONS"),
    "cons_alt.csv": ("alt.csv", "OFAC-CONS"),
    "cons_comments.csv": ("sdn_comments.csv", "OFAC-CONS"),
}
"""OFAC legacy file names (SDN and consolidated non-SDN) -> (the role the reader gives it, the list)."""


def head(path: Path, size: int = 64) -> bytes:
    """The first bytes of a file; InputError when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None


def is_xml(path: Path) -> bool:
    """Whether the file's text starts with `<` (an XML export), BOM and blank space aside."""
    return head(path, 256).removeprefix(BOM).lstrip()[:1] == b"<"


def list_files(folder: Path) -> list[Path]:
    """The files of a folder (not hidden, not sub-folders), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _relabelled(exc: InputError, folder: Path, archive: Path) -> InputError:
    """The same error naming `archive:member` instead of the temporary folder's file."""
    where = exc.file + (f", row {exc.row}" if exc.row is not None else "")
    where += f", field {exc.field!r}" if exc.field is not None else ""
    message = exc.message.removeprefix(where).removeprefix(": ")
    member = exc.file.replace(str(folder) + "/", "").replace(str(folder), "")
    label = f"{archive}:{member}" if member else str(archive)
    return InputError(label, message, row=exc.row, field=exc.field, hint=exc.hint)


@contextlib.contextmanager
def local_files(path: Path) -> Iterator[Path]:
    """`path` when it is a plain file or a folder; else a temporary folder holding the gz's file
    (named without .gz) or the zip's files (by their base names), removed afterwards."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    magic = b"" if path.is_dir() else head(path, 4)
    if not magic.startswith((GZIP_MAGIC, ZIP_MAGIC)):
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="tradesentinel-"))
    try:
        data = path.read_bytes()
        if magic.startswith(GZIP_MAGIC):
            try:
                members = {path.name.removesuffix(".gz").removesuffix(".GZ") or "file": gzip.decompress(data)}
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(path, f"cannot read the gzip file (truncated download?): {exc}") from None
        else:
            members = {PurePosixPath(name).name: content for name, content in zip_members(data, path).items()}
        if not members:
            raise InputError(path, "the archive holds no file")
        for name, content in members.items():
            (folder / name).write_bytes(content)
        try:
            yield folder if len(members) > 1 else folder / next(iter(members))
        except InputError as exc:
            raise _relabelled(exc, folder, path) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ofac_legacy_files(path: Path) -> tuple[dict[str, Path], str] | None:
    """The OFAC legacy files a folder holds, by role (sdn.csv, add.csv...), and their list; None when
    it holds no sdn.csv or cons_prim.csv."""
    found: dict[str, Path] = {}
    lists = set()
    for file in list_files(path):
        role = OFAC_ROLES.get(file.name.lower())
        if role:
            found[role[0]] = file
            lists.add(role[1])
    if "sdn.csv" not in found:
        return None
    if len(lists) > 1:
        raise InputError(
            path, "the folder mixes SDN (sdn.csv...) and consolidated (cons_*.csv) files: pass one set"
        )
    return found, lists.pop()


def single_list_file(path: Path, what: str) -> Path:
    """The one list file a folder (or unpacked archive) holds; InputError naming what it found."""
    files = list_files(path)
    if len(files) != 1:
        names = ", ".join(f.name for f in files[:10]) or "no file"
        raise InputError(path, f"expected one {what} file, found {len(files)}: {names}")
    return files[0]
