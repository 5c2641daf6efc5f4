from django.conf import settings

from . import roles


def user_roles(request):
    """The user's roles for the navigation, and the school's name for every page."""
    user = request.user
    department_ids = roles.filer_department_ids(user)
    return {
        "is_reviewer": roles.sees_all(user),
        "is_leader": user.has_perm(roles.SIGN_OFF_PERMISSION),
        "is_filer": bool(department_ids),
        "user_department_ids": department_ids,
        # The one department a filer hands in for (a filer of several starts from the dashboard).
        "user_department_id": next(iter(department_ids)) if len(department_ids) == 1 else None,
        "school_name": settings.NEWMEDIA_SCHOOL_NAME,
    }
