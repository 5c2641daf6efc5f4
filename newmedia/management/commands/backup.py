"""Write a consistent archive of the database and the uploaded files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from newmedia.backups import BackupError, backup_create


class Command(BaseCommand):
    help = _(
        "Write one .tar.gz with the database (pg_dump, or SQLite's online backup API), every "
        "file under MEDIA_ROOT and a manifest of their SHA-256, while the site keeps running."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "backups",
            help=_("Directory the archive is written to (default: var/backups/)."),
        )

    def handle(self, *args, **options):
        try:
            archive = backup_create(destination=options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(archive))
