"""One archive holds the database and every uploaded file; a restore checks all of it first.

The archive is a ``.tar.gz`` with ``manifest.json`` (when, which Django, which database, the
latest applied migration of each app, and the size and SHA-256 of every other member), the
database dump (``database.sqlite3`` made with SQLite's online backup API, or
``database.pgdump`` made by ``pg_dump --format=custom``) and ``media/`` (MEDIA_ROOT).
"""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import closing
from pathlib import Path, PurePosixPath

import django
from django.conf import settings
from django.db import connection, connections
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media"
SUFFIX = ".tar.gz"
CHUNK = 1024 * 1024


REFUSED = gettext_lazy("Refusing the member “%(name)s”: %(why)s.")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message tells the administrator why."""


def backup_create(*, destination: Path) -> Path:
    """Write a consistent archive of the database and MEDIA_ROOT into ``destination``."""
    vendor = _vendor()
    media_root = Path(settings.MEDIA_ROOT)
    destination = Path(destination)
    if destination.resolve().is_relative_to(media_root.resolve()):
        # The archive being written would be archived into itself.
        raise BackupError(
            _("Write backups outside MEDIA_ROOT (%(media)s), not in %(destination)s.")
            % {"media": media_root, "destination": destination}
        )
    destination.mkdir(parents=True, exist_ok=True)
    created_at = timezone.localtime()
    migrations = _migration_state()
    with tempfile.TemporaryDirectory(prefix="newmedia-backup-") as staging:
        dump = Path(staging) / DATABASE_MEMBERS[vendor]
        # The database first, then the files: an upload is stored before its row commits, so
        # every file the dump refers to is already on disk when the files are read.
        if vendor == "sqlite":
            _sqlite_copy(source=_sqlite_path(must_exist=True), target=dump)
        else:
            _postgres_dump(target=dump)
        stem = f"newmedia-backup-{created_at:%Y%m%d-%H%M%S}"
        archive, number = destination / f"{stem}{SUFFIX}", 2
        while archive.exists():
            archive, number = destination / f"{stem}-{number}{SUFFIX}", number + 1
        # Written under another name and renamed when complete, so an archive that exists under
        # its final name is whole, and scripts that prune "*.tar.gz" never see a partial one.
        partial = destination / f".{archive.name}.partial"
        try:
            # Readable by the owner only: it holds every account, phone number and password hash.
            # Uploads are mostly compressed images: a middle level saves time, costs little size.
            with (
                open(partial, "wb", opener=_owner_only) as raw,
                tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar,
            ):
                files = [_add_file(tar, path=dump, name=dump.name)]
                for path in _media_files(media_root):
                    name = f"{MEDIA}/{path.relative_to(media_root).as_posix()}"
                    files.append(_add_file(tar, path=path, name=name))
                manifest = {
                    "format": FORMAT,
                    "created_at": created_at.isoformat(),
                    "django": django.get_version(),
                    "database": {"vendor": vendor, "member": dump.name},
                    "migrations": migrations,
                    "files": [entry for entry in files if entry is not None],
                }
                _add_bytes(tar, name=MANIFEST, data=json.dumps(manifest, indent=2).encode())
            os.replace(partial, archive)
        finally:
            partial.unlink(missing_ok=True)
    return archive


def backup_inspect(*, archive: Path) -> dict:
    """Check every member of an archive against its manifest and return the manifest."""
    with tempfile.TemporaryDirectory(prefix="newmedia-restore-") as staging:
        return _unpack_verified(archive=Path(archive), into=Path(staging))


def backup_restore(*, archive: Path) -> None:
    """Replace the database and MEDIA_ROOT with an archive's, after checking all of it."""
    with tempfile.TemporaryDirectory(prefix="newmedia-restore-") as staging:
        staging = Path(staging)
        manifest = _unpack_verified(archive=Path(archive), into=staging)
        dump = staging / manifest["database"]["member"]
        if _vendor() == "sqlite":
            _sqlite_restore(source=dump)
        else:
            _postgres_restore(source=dump)
        _replace_media(source=staging / MEDIA, media_root=Path(settings.MEDIA_ROOT))


# ------------------------------------------------------------------------------
# Archive
# ------------------------------------------------------------------------------
class _HashingReader:
    """Hands a file to tarfile and hashes exactly the bytes that went into the archive."""

    def __init__(self, handle):
        self._handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self._handle.read(size)
        self.sha256.update(data)
        return data


def _owner_only(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _add_file(tar: tarfile.TarFile, *, path: Path, name: str) -> dict | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        # Removed since the listing: an upload whose transition failed, so no row names it.
        return None
    with handle:
        info = tar.gettarinfo(arcname=name, fileobj=handle)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"name": name, "size": info.size, "sha256": reader.sha256.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, *, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _media_files(media_root: Path) -> list[Path]:
    found = []
    for directory, _subdirectories, names in os.walk(media_root):
        found.extend(Path(directory) / name for name in names)
    return sorted(path for path in found if path.is_file())


def _unpack_verified(*, archive: Path, into: Path) -> dict:
    """Unpack into a staging directory and check it all; nothing else is touched."""
    if not archive.is_file():
        raise BackupError(_("%(archive)s does not exist.") % {"archive": archive})
    unpacked: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = _checked_name(member, into=into)
                if name in unpacked:
                    raise BackupError(
                        _("%(archive)s: %(name)s appears twice.")
                        % {"archive": archive, "name": name}
                    )
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with tar.extractfile(member) as source, target.open("wb") as copy:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        copy.write(chunk)
                unpacked[name] = (target.stat().st_size, digest.hexdigest())
            # Read to the very end, so gzip checks its CRC over the whole compressed stream.
            while tar.fileobj.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            _("%(archive)s cannot be read: %(error)s") % {"archive": archive, "error": exc}
        ) from None
    manifest = _read_manifest(into / MANIFEST, archive=archive, present=MANIFEST in unpacked)
    listed = {entry["name"]: entry for entry in manifest["files"]}
    unpacked.pop(MANIFEST)
    if set(listed) != set(unpacked):
        missing = sorted(set(listed) - set(unpacked))
        unlisted = sorted(set(unpacked) - set(listed))
        raise BackupError(
            _(
                "%(archive)s does not match its manifest: missing %(missing)s, not listed "
                "%(unlisted)s."
            )
            % {"archive": archive, "missing": missing, "unlisted": unlisted}
        )
    for name, (size, sha256) in unpacked.items():
        if (size, sha256) != (listed[name]["size"], listed[name]["sha256"]):
            raise BackupError(
                _(
                    "%(archive)s: %(name)s is damaged (its size or SHA-256 differs from the "
                    "manifest's)."
                )
                % {"archive": archive, "name": name}
            )
    vendor = manifest["database"]["vendor"]
    if vendor != _vendor():
        raise BackupError(
            _(
                "%(archive)s holds a %(vendor)s database, but this installation uses %(ours)s; "
                "restore it into a %(vendor)s installation."
            )
            % {"archive": archive, "vendor": vendor, "ours": _vendor()}
        )
    if manifest["database"]["member"] != DATABASE_MEMBERS[vendor] or (
        DATABASE_MEMBERS[vendor] not in listed
    ):
        raise BackupError(
            _("%(archive)s has no %(vendor)s database dump.")
            % {"archive": archive, "vendor": vendor}
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            _(
                "%(archive)s comes from a newer version of this code (migrations it does not "
                "have: %(migrations)s); update the code first."
            )
            % {"archive": archive, "migrations": ", ".join(unknown)}
        )
    if vendor == "postgresql":
        _postgres_check(source=into / DATABASE_MEMBERS[vendor])
    return manifest


def _checked_name(member: tarfile.TarInfo, *, into: Path) -> str:
    name = member.name
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise BackupError(REFUSED % {"name": name, "why": _("an absolute path or one with '..'")})
    if not member.isreg():
        raise BackupError(
            REFUSED % {"name": name, "why": _("only regular files belong in a backup")}
        )
    name = path.as_posix()
    in_media = len(path.parts) > 1 and path.parts[0] == MEDIA
    if name not in {MANIFEST, *DATABASE_MEMBERS.values()} and not in_media:
        raise BackupError(REFUSED % {"name": name, "why": _("not part of a newmedia backup")})
    if not (into / name).resolve().is_relative_to(into.resolve()):
        raise BackupError(REFUSED % {"name": name, "why": _("it points outside the archive")})
    return name


def _read_manifest(path: Path, *, archive: Path, present: bool) -> dict:
    if not present:
        raise BackupError(
            _("%(archive)s is not a newmedia backup: it has no %(manifest)s.")
            % {"archive": archive, "manifest": MANIFEST}
        )
    try:
        manifest = json.loads(path.read_text())
        fits = (
            manifest["format"] == FORMAT
            and isinstance(manifest["database"]["vendor"], str)
            and isinstance(manifest["database"]["member"], str)
            and isinstance(manifest["migrations"], dict)
            and all({"name", "size", "sha256"} <= set(entry) for entry in manifest["files"])
        )
    except (ValueError, KeyError, TypeError):
        fits = False
    if not fits:
        raise BackupError(
            _("%(archive)s: %(manifest)s is not a format %(format)s backup manifest.")
            % {"archive": archive, "manifest": MANIFEST, "format": FORMAT}
        )
    return manifest


def _migration_state() -> dict[str, str]:
    latest = {}
    # Migration names start with their number, so the last in order is the latest applied.
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        latest[app] = name
    return latest


# ------------------------------------------------------------------------------
# Media
# ------------------------------------------------------------------------------
def _replace_media(*, source: Path, media_root: Path) -> None:
    wanted = (
        {path.relative_to(source) for path in _media_files(source)} if source.exists() else set()
    )
    media_root.mkdir(parents=True, exist_ok=True)
    # Remove what the archive does not have first, so a file never stands where the archive
    # needs a directory (or the other way round).
    for directory, subdirectories, names in os.walk(media_root, topdown=False):
        here = Path(directory)
        links = [name for name in subdirectories if (here / name).is_symlink()]
        for name in [*names, *links]:
            if (here / name).relative_to(media_root) not in wanted:
                (here / name).unlink()
        if here != media_root and not any(here.iterdir()):
            here.rmdir()
    for relative in sorted(wanted):
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copied beside and renamed, so a download never reads half a file.
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(source / relative, partial)
        os.replace(partial, target)


# ------------------------------------------------------------------------------
# SQLite
# ------------------------------------------------------------------------------
def _vendor() -> str:
    if connection.vendor not in DATABASE_MEMBERS:
        raise BackupError(
            _("Backups cover SQLite and PostgreSQL, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return connection.vendor


def _sqlite_path(*, must_exist: bool) -> Path:
    if connection.is_in_memory_db():
        raise BackupError(
            _("The SQLite database is in memory: there is no file to back up or restore.")
        )
    path = Path(connection.settings_dict["NAME"])
    if must_exist and not path.is_file():
        raise BackupError(_("The SQLite database %(path)s does not exist.") % {"path": path})
    return path


def _sqlite_copy(*, source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot while other processes keep writing;
    # copying the file (and its -wal) by hand could catch a transaction halfway.
    timeout = connection.settings_dict["OPTIONS"].get("timeout", 20)
    try:
        with (
            closing(sqlite3.connect(source, timeout=timeout)) as origin,
            closing(sqlite3.connect(target, timeout=timeout)) as copy,
        ):
            origin.backup(copy)
    except sqlite3.Error as exc:
        raise BackupError(
            _("Copying the SQLite database %(source)s to %(target)s failed: %(error)s")
            % {"source": source, "target": target, "error": exc}
        ) from None


def _sqlite_restore(*, source: Path) -> None:
    target = _sqlite_path(must_exist=False)
    connections.close_all()
    if not target.exists():
        # A -wal left beside a deleted database would be replayed into the new one.
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API into the live file, so processes that still have it open see the
    # restored pages instead of keeping a deleted file.
    _sqlite_copy(source=source, target=target)


# ------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------
def _postgres_command(program: str) -> tuple[list[str], dict[str, str]]:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            _(
                "%(program)s is not installed: install the PostgreSQL client (Debian: apt-get "
                "install postgresql-client), at least the server's major version."
            )
            % {"program": program}
        )
    database = connection.settings_dict
    # Django's own mapping for dbshell: password, sslmode, certificates, service, passfile.
    _args, env = DatabaseClient.settings_to_cmd_args_env(database, [])
    command = [executable, "--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            command.append(f"{option}={database[key]}")
    return command, {**os.environ, **(env or {})}


def _run(command: list[str], *, env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": Path(command[0]).name, "error": done.stderr.strip()}
        )
    return done.stdout


def _postgres_dump(*, target: Path) -> None:
    command, env = _postgres_command("pg_dump")
    name = connection.settings_dict["NAME"]
    _run([*command, "--format=custom", f"--file={target}", f"--dbname={name}"], env=env)


def _postgres_check(*, source: Path) -> None:
    command, env = _postgres_command("pg_restore")
    listing = _run([command[0], "--list", str(source)], env=env)
    archived = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
    extra = sorted(set(connection.introspection.table_names()) - archived)
    if extra:
        # --clean drops only what the dump holds; these would survive and break `migrate`.
        raise BackupError(
            _(
                "The database has tables the backup does not (%(tables)s): drop it and create "
                "it empty (dropdb, createdb), then restore."
            )
            % {"tables": ", ".join(extra)}
        )


def _postgres_restore(*, source: Path) -> None:
    command, env = _postgres_command("pg_restore")
    connections.close_all()
    name = connection.settings_dict["NAME"]
    # One transaction: a restore that fails part-way leaves the database as it was.
    _run(
        [
            *command,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={name}",
            str(source),
        ],
        env=env,
    )
