from registry.querysets import DepartmentScopedQuerySet


class FilingQuerySet(DepartmentScopedQuerySet):
    department_lookup = "account__department_id"


class DepartmentReturnQuerySet(DepartmentScopedQuerySet):
    department_lookup = "department_id"


class ChangeRequestQuerySet(DepartmentScopedQuerySet):
    department_lookup = "account__department_id"


class AnnualConfirmationQuerySet(DepartmentScopedQuerySet):
    department_lookup = "account__department_id"
