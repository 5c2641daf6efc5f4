"""Visibility rules, stated once: every view, export and download starts from these."""

from django.db import models

from . import roles


class DepartmentScopedQuerySet(models.QuerySet):
    """Rows that belong to a department, seen by reviewers and by that department's filers and
    heads."""

    department_lookup = "department_id"

    def for_user(self, user):
        """What the user may see: everything for reviewers, their departments' rows for filers
        and heads."""
        if roles.sees_all(user):
            return self
        ids = roles.readable_department_ids(user)
        return self.filter(**{f"{self.department_lookup}__in": ids})


class DepartmentQuerySet(DepartmentScopedQuerySet):
    department_lookup = "pk"

    def picker_choices(self, text: str):
        """Departments whose code starts with the text or whose name contains it, by code: the
        choices the lists' department picker offers as the user types."""
        text = text.strip()
        return self.filter(
            models.Q(code__istartswith=text) | models.Q(name__icontains=text)
        ).order_by("code")

    def matching(self, text: str):
        """Departments whose code is the text or whose name contains it: what the lists filter by
        when a text is sent without choosing a department (the picker without JavaScript)."""
        text = text.strip()
        return self.filter(models.Q(code__iexact=text) | models.Q(name__icontains=text))


class StaffQuerySet(DepartmentScopedQuerySet):
    def picker_choices(self, text: str):
        """Staff in post whose name contains the text or whose staff number starts with it: the
        choices the account form's staff picker offers."""
        text = text.strip()
        found = self.filter(status="active")
        if text:
            found = found.filter(
                models.Q(name__contains=text) | models.Q(staff_number__startswith=text)
            )
        return found.order_by("name", "staff_number")


class AccountQuerySet(DepartmentScopedQuerySet):
    def search(self, text: str):
        """Accounts whose name, number or owner contains the text."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            models.Q(name__icontains=text)
            | models.Q(number__icontains=text)
            | models.Q(owner_name__icontains=text)
        )
