"""Reading a zip from anyone, and writing ours the same way every time.

A `.qdpx` is a zip archive. Nothing is ever extracted to disk: members are read
into memory by name. Still, an archive that names a file outside itself
(`../x`, `/etc/x`, `C:\\x`), holds links or encrypted members, or would unpack
to more than we are willing to hold (a member over `MAX_MEMBER_BYTES`, all of
them over `MAX_TOTAL_BYTES`, or a large member that compresses better than
`MAX_RATIO`:1, the mark of a zip bomb) is refused whole, before anything is
read from it. The sizes a zip declares can lie, so reads are bounded too.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..errors import InputError

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 256 * 2**20
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_RATIO = 200
RATIO_FLOOR = 2**20  # small members may compress as well as they like
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: our archives carry no clock


def is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError as error:
        raise InputError(path, None, f"cannot read: {error.strerror}") from None


def read_file(path: Path) -> bytes:
    """A file given directly (a .qdc, a bare .qde), bounded like a member."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MEMBER_BYTES + 1)
    except OSError as error:
        raise InputError(path, None, f"cannot read: {error.strerror}") from None
    if len(data) > MAX_MEMBER_BYTES:
        raise InputError(path, None, f"refused: larger than {MAX_MEMBER_BYTES:,} bytes")
    return data


def unsafe_name(name: str) -> str | None:
    """Why a member name could point outside the archive's folder (None: it cannot)."""
    if not name or "\x00" in name:
        return "an empty or NUL name"
    if "\\" in name:
        return f"a backslash in {name!r}"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return f"an absolute path {name!r}"
    if ".." in PurePosixPath(name).parts:
        return f"a path that climbs out of the archive ({name!r})"
    return None


class Archive:
    """A zip archive checked as a whole when opened; members are read by name, bounded."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
            raise InputError(self.path, None, f"not a REFI-QDA project: not a readable zip archive ({error})") from None
        except OSError as error:
            raise InputError(self.path, None, f"cannot read: {error.strerror}") from None
        try:
            self._check()
        except BaseException:
            self.zip.close()
            raise
        self.names = {info.filename: info for info in self.zip.infolist() if not info.is_dir()}
        self._folded = {}
        for name in sorted(self.names):
            self._folded.setdefault(name.casefold(), name)

    def _refuse(self, why: str) -> InputError:
        return InputError(self.path, None, f"refused: the archive holds {why}; nothing was read from it")

    def _check(self) -> None:
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise self._refuse(f"{len(infos)} files (at most {MAX_MEMBERS})")
        total = 0
        for info in infos:
            why = unsafe_name(info.filename)
            if why:
                raise self._refuse(why)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise self._refuse(f"a symbolic link ({info.filename!r})")
            if info.flag_bits & 0x1:
                raise self._refuse(f"an encrypted file ({info.filename!r})")
            if info.file_size > MAX_MEMBER_BYTES:
                raise self._refuse(f"{info.filename!r}, which unpacks to {info.file_size:,} bytes "
                                   f"(at most {MAX_MEMBER_BYTES:,})")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise self._refuse(f"{info.filename!r}, compressed {info.file_size // max(info.compress_size, 1):,}:1 "
                                   f"(at most {MAX_RATIO}:1 for large files: a zip bomb?)")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise self._refuse(f"files that unpack to {total:,} bytes in all (at most {MAX_TOTAL_BYTES:,})")

    def find(self, name: str) -> str | None:
        """The member called `name`, matched exactly, else ignoring case ('Sources/' or 'sources/')."""
        if name in self.names:
            return name
        return self._folded.get(name.casefold())

    def read(self, name: str) -> bytes:
        """A member's bytes, never more than `MAX_MEMBER_BYTES` whatever its header says."""
        info = self.names[name]
        try:
            with self.zip.open(info) as member:
                data = member.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
            raise InputError(self.path, None, f"the archive is damaged at {name!r} ({error})") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise self._refuse(f"{name!r}, which unpacks to more than {MAX_MEMBER_BYTES:,} bytes")
        return data

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, bytes), in the given order, with fixed times and modes, so
    the same members always give the same bytes."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    return buffer.getvalue()
