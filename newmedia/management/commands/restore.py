"""Replace the database and the uploaded files with those of a backup archive."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from newmedia.backups import BackupError, backup_inspect, backup_restore


class Command(BaseCommand):
    help = (
        "Check a backup archive made by `backup` (every member against its SHA-256) and, with "
        "--yes, replace the database and every file under MEDIA_ROOT with its contents. Stop the "
        "web process and the worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The .tar.gz written by `backup`.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Really replace the database and the files (without it: check and explain).",
        )

    def handle(self, *args, **options):
        archive = options["archive"]
        try:
            if not options["yes"]:
                manifest = backup_inspect(archive=archive)
                self.stdout.write(self._plan(archive, manifest))
                raise CommandError("Nothing was changed: run again with --yes to restore.")
            backup_restore(archive=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored {archive}. If this code is newer than the backup, run "
            "`manage.py migrate` next."
        )

    def _plan(self, archive: Path, manifest: dict) -> str:
        database = connection.settings_dict
        where = f" on {database['HOST']}:{database['PORT']}" if database.get("HOST") else ""
        media = sum(1 for f in manifest["files"] if f["name"].startswith("media/"))
        present = sum(1 for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())
        return (
            f"{archive} is complete and intact: made {manifest['created_at']} with Django "
            f"{manifest['django']}, {media} uploaded files.\n"
            f"Restoring it would replace:\n"
            f"  the {connection.vendor} database {database['NAME']}{where}\n"
            f"  everything under {settings.MEDIA_ROOT} ({present} files now)"
        )
