"""What the commands share: a department named by its code on the command line."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from registry.models import Department


def department_by_code(code: str | None) -> Department | None:
    """The department ``--department CODE`` names (None when not given), or a clear error."""
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise CommandError(_("No department has the code “%(code)s”.") % {"code": code})
    return department
