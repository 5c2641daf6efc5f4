"""Uploaded files are checked by their content, never by their name, and stored under new names."""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

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
