from registry.querysets import DepartmentScopedQuerySet


class FilingQuerySet(DepartmentScopedQuerySet):
    department_lookup = "account__department_id"
