"""Visibility, stated once for the clean-up data: a roster or a finding belongs to its account's
department, seen by reviewers and by that department's filers."""

from registry.querysets import DepartmentScopedQuerySet


class RosterQuerySet(DepartmentScopedQuerySet):
    department_lookup = "account__department_id"

    def current(self):
        """Each account's roster in force (the last upload)."""
        return self.filter(is_current=True)


class RosterMemberQuerySet(DepartmentScopedQuerySet):
    department_lookup = "roster__account__department_id"


class FindingQuerySet(DepartmentScopedQuerySet):
    department_lookup = "account__department_id"

    def open(self):
        """Findings whose rule still fires."""
        return self.filter(resolved_at__isnull=True)
