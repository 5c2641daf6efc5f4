"""Replace the database and the uploaded files with those of a backup archive."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newmedia.backups import BackupError, backup_inspect, backup_restore


class Command(BaseCommand):
    help = gettext_lazy(
        "Check a backup archive made by `backup` (every member against its SHA-256) and, with "
        "--yes, replace the database and every file under MEDIA_ROOT with its contents. Stop the "
        "web process and the worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive", type=Path, help=gettext_lazy("The .tar.gz written by `backup`.")
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help=gettext_lazy(
                "Really replace the database and the files (without it: check and explain)."
            ),
        )

    def handle(self, *args, **options):
        archive = options["archive"]
        try:
            if not options["yes"]:
                manifest = backup_inspect(archive=archive)
                self.stdout.write(self._plan(archive, manifest))
                raise CommandError(_("Nothing was changed: run again with --yes to restore."))
            backup_restore(archive=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "Restored %(archive)s. If this code is newer than the backup, run "
                "`manage.py migrate` next."
            )
            % {"archive": archive}
        )

    def _plan(self, archive: Path, manifest: dict) -> str:
        database = connection.settings_dict
        media = sum(1 for f in manifest["files"] if f["name"].startswith("media/"))
        present = sum(1 for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())
        where = (
            _(" on %(host)s:%(port)s") % {"host": database["HOST"], "port": database["PORT"]}
            if database.get("HOST")
            else ""
        )
        return _(
            "%(archive)s is complete and intact: made %(made)s with Django %(django)s, "
            "%(media)s uploaded files.\n"
            "Restoring it would replace:\n"
            "  the %(vendor)s database %(name)s%(where)s\n"
            "  everything under %(media_root)s (%(present)s files now)"
        ) % {
            "archive": archive,
            "made": manifest["created_at"],
            "django": manifest["django"],
            "media": media,
            "vendor": connection.vendor,
            "name": database["NAME"],
            "where": where,
            "media_root": settings.MEDIA_ROOT,
            "present": present,
        }
