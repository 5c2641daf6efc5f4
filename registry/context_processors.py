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
        "school_name": settings.NEWMEDIA_SCHOOL_NAME,
    }
