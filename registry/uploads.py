"""Uploaded files are checked by their content, never by their name, and stored under new names."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.tmp_storages import MediaStorage

# The first bytes of each kind of file we accept, and the extension we store it under.
_SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "jpeg": (b"\xff\xd8\xff", ".jpg"),
    "pdf": (b"%PDF-", ".pdf"),
}
KIND_LABELS = {"png": "PNG", "jpeg": "JPG", "pdf": "PDF"}

WRONG_KIND = _("The file is not a %(kinds)s file (its content was checked, not its name).")
TOO_LARGE = _("The file is %(size)s; the largest accepted is %(limit)s.")
EMPTY = _("The file is empty.")


def sniff_kind(upload: UploadedFile) -> str | None:
    """Which accepted kind the file's first bytes show, or None."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for kind, (signature, _ext) in _SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def validate_upload(upload: UploadedFile, *, kinds: tuple[str, ...], max_bytes: int) -> str:
    """Check size and content; return the stored extension or raise a translated error."""
    if not upload.size:
        raise ValidationError(EMPTY, code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            TOO_LARGE,
            code="too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(max_bytes),
            },
        )
    kind = sniff_kind(upload)
    if kind not in kinds:
        raise ValidationError(
            WRONG_KIND,
            code="wrong_kind",
            params={"kinds": "/".join(KIND_LABELS[k] for k in kinds)},
        )
    return _SIGNATURES[kind][1]


def generated_name(folder: str, extension: str) -> str:
    """A server-chosen storage name, so a user's file name never reaches the file system."""
    return f"{folder}/{uuid.uuid4().hex}{extension}"


# Where uploads awaiting confirmation wait (the site's and the admin's), never served.
PENDING_FOLDER = "imports"


class PendingUploadStorage(MediaStorage):
    """The admin's upload between the preview and the confirmation: under ``imports/admin/`` in
    the default storage with a generated name, removed by the library on confirmation and by
    ``purge_pending_uploads`` when abandoned."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "MEDIA_FOLDER": f"{PENDING_FOLDER}/admin"})
        if not self.name:
            self.name = uuid.uuid4().hex


def purge_pending_uploads() -> int:
    """Delete the admin's uploads left waiting longer than ``NEWMEDIA_IMPORT_PENDING_SECONDS``."""
    folder = f"{PENDING_FOLDER}/admin"
    if not default_storage.exists(folder):
        return 0
    cutoff = timezone.now() - timedelta(seconds=settings.NEWMEDIA_IMPORT_PENDING_SECONDS)
    removed = 0
    for name in default_storage.listdir(folder)[1]:
        path = f"{folder}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
