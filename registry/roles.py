"""Who a user is in the campaign: the two groups, and the department memberships of a filer.

The group names are data created by migrations; the permissions attached to them decide what
each role may do, so a site can grant a single permission to someone without a whole role.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, Value

FILER_GROUP = "部门填报人"
REVIEWER_GROUP = "审核员"
# The heads of departments (部门负责人): they read their departments' data and receive copies.
HEAD_GROUP = "部门负责人"
# The school leaders who sign off after the reviewer (sign-off chains, approvals).
LEADER_GROUP = "审批领导"
# The leaders' step (approvals' sign-off chains): who has a sign-off queue.
SIGN_OFF_PERMISSION = "approvals.sign_off_filing"
# Granted to reviewers (and implied for superusers): see every department's data.
VIEW_ALL_PERMISSION = "registry.view_all_accounts"

_CACHE_ATTR = "_newmedia_department_ids"
BOOLEAN = BooleanField()


def sees_all(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user may see every department's data."""
    return user.is_authenticated and user.has_perm(VIEW_ALL_PERMISSION)


def _memberships(user) -> tuple[frozenset[int], frozenset[int]]:
    """The departments the user files for and those they head, read once per user object (one
    query for both)."""
    if not hasattr(user, _CACHE_ATTR):
        filing = user.filing_departments.order_by().values_list(
            "pk", Value(True, output_field=BOOLEAN)
        )
        heading = user.headed_departments.order_by().values_list(
            "pk", Value(False, output_field=BOOLEAN)
        )
        rows = list(filing.union(heading, all=True))
        files = frozenset(pk for pk, is_filer in rows if is_filer)
        setattr(user, _CACHE_ATTR, (files, frozenset(pk for pk, _is_filer in rows)))
    return getattr(user, _CACHE_ATTR)


def filer_department_ids(user: AbstractBaseUser | AnonymousUser) -> frozenset[int]:
    """The departments the user files for."""
    return _memberships(user)[0] if user.is_authenticated else frozenset()


def readable_department_ids(user: AbstractBaseUser | AnonymousUser) -> frozenset[int]:
    """The departments whose data the user reads: those they file for and those they head."""
    return _memberships(user)[1] if user.is_authenticated else frozenset()


def is_filer_of(user: AbstractBaseUser | AnonymousUser, department_id: int) -> bool:
    """Whether the user files for the given department."""
    return department_id in filer_department_ids(user)
