"""Who a user is in the campaign: the two groups, and the department memberships of a filer.

The group names are data created by a migration; the permissions attached to them decide what
each role may do, so a site can grant a single permission to someone without a whole role.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

FILER_GROUP = "部门填报人"
REVIEWER_GROUP = "审核员"
# The school leaders who sign off after the reviewer (sign-off chains, approvals).
LEADER_GROUP = "审批领导"
# The leaders' step (approvals' sign-off chains): who has a sign-off queue.
SIGN_OFF_PERMISSION = "approvals.sign_off_filing"
# Granted to reviewers (and implied for superusers): see every department's data.
VIEW_ALL_PERMISSION = "registry.view_all_accounts"

_CACHE_ATTR = "_newmedia_department_ids"


def sees_all(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the user may see every department's data."""
    return user.is_authenticated and user.has_perm(VIEW_ALL_PERMISSION)


def filer_department_ids(user: AbstractBaseUser | AnonymousUser) -> frozenset[int]:
    """The departments the user files for, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, _CACHE_ATTR):
        ids = user.filing_departments.values_list("pk", flat=True)
        setattr(user, _CACHE_ATTR, frozenset(ids))
    return getattr(user, _CACHE_ATTR)


def is_filer_of(user: AbstractBaseUser | AnonymousUser, department_id: int) -> bool:
    """Whether the user files for the given department."""
    return department_id in filer_department_ids(user)
