"""Spreadsheet import and export of the register through django-import-export."""

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.formats.base_formats import Format
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult
from import_export.widgets import CharWidget, ForeignKeyWidget, Widget

from .layouts import (
    FORM,
    REQUIRED,
    STAFF,
    UNKNOWN_DEPARTMENT,
    department_key,
    form_parsers,
    locate_rows,
    parse_text,
    staff_parsers,
    survivor_number,
)
from .models import Account, AccountChange, Department, Staff
from .office_forms import ABSENT
from .personal_data import mask_phone
from .services import account_changes_record
from .sheets import header_key, is_blank, read_sheet


class AllOrNothingResource(resources.ModelResource):
    """An import with any invalid row writes nothing (by default the library keeps valid rows)."""

    def import_data(self, dataset, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    class Meta:
        clean_model_instances = True  # full_clean each row: the model's rules, in words
        skip_unchanged = True
        report_skipped = True
        use_transactions = True


class PhoneField(fields.Field):
    """A phone-number column, written out masked unless its resource was told otherwise."""

    unmasked = False  # set per resource instance, on its own copy of the field

    def __init__(self, name: str):
        super().__init__(attribute=name, column_name=name, widget=CharWidget(allow_blank=True))

    def export(self, instance, **kwargs):
        value = super().export(instance, **kwargs)
        return value if self.unmasked else mask_phone(value)

    def save(self, instance, row, is_m2m=False, **kwargs):
        # A masked export sent back unchanged carries the mask of the stored number: keep the
        # number, instead of refusing the whole file for a value that was never edited.
        cell = str(row.get(self.column_name) or "").strip()
        stored = self.get_value(instance)
        if "*" in cell and stored and mask_phone(stored) == cell:
            return
        super().save(instance, row, is_m2m, **kwargs)


class PhoneMaskingResource(AllOrNothingResource):
    """Phone columns go out masked (exports, the import preview) unless ``unmask_phones``.

    Only the admin decides ``unmask_phones``, from the permission and the stated reason
    (``registry.personal_data``).
    """

    def __init__(self, *, unmask_phones: bool = False, **kwargs):
        super().__init__(**kwargs)
        for field in self.fields.values():
            if isinstance(field, PhoneField):
                field.unmasked = unmask_phones


class DepartmentResource(AllOrNothingResource):
    class Meta(AllOrNothingResource.Meta):
        model = Department
        import_id_fields = ["code"]
        fields = ["code", "name", "kind"]


class StaffResource(PhoneMaskingResource):
    phone = PhoneField("phone")
    department = fields.Field(
        attribute="department",
        column_name="department",
        widget=ForeignKeyWidget(Department, "code"),
    )

    class Meta(AllOrNothingResource.Meta):
        model = Staff
        import_id_fields = ["staff_number"]
        fields = [
            "staff_number",
            "name",
            "department",
            "post",
            "phone",
            "status",
            "left_on",
        ]


class AccountResource(PhoneMaskingResource):
    owner_phone = PhoneField("owner_phone")
    department = fields.Field(
        attribute="department",
        column_name="department",
        widget=ForeignKeyWidget(Department, "code"),
    )

    class Meta(AllOrNothingResource.Meta):
        model = Account
        # The approval state is not a column: it moves only through transitions.
        fields = ["id", *Account.FORM_COLUMNS, "rules_acknowledged"]


# ------------------------------------------------------------------------------------------------
# The registration form and the staff roster, as files arrive from offices (registry.layouts)
# ------------------------------------------------------------------------------------------------

NOT_YOUR_DEPARTMENT = _("You do not file for %(department)s.")
NUMBER_ELSEWHERE = _(
    "This number is already registered to another department: an import never moves an "
    "account; ask the office."
)
DUPLICATE_IN_FILE = _("Row %(row)s of the file already has this account.")
DUPLICATE_STAFF = _("Row %(row)s of the file already has this staff number.")
OWNER_MISSING = _("The owner (群主 / 管理员) is missing.")
MASKED_PHONE = _(
    "“%(value)s” is a masked number that is not the stored one: type the whole number."
)
STATE_READ_ONLY = _(
    "The state in the register stands (%(state)s): a file never changes it (审核状态以系统为准)."
)
NOT_EDITABLE = _(
    "The account is %(state)s: it can only be changed while it is a draft or returned."
)
SURVIVOR_NOT_FOUND = _(
    "No account “%(value)s” to merge into was found: give its number, or its exact name."
)
SURVIVOR_AMBIGUOUS = _("Several accounts are called “%(value)s”: give the number instead.")
DEPARTMENT_REQUIRED = _(
    "The department is missing: fill in the “%(column)s” column or choose the department."
)


class Invalid:
    """A cell that could not be read, carried to its field so the error has its row and column."""

    __slots__ = ("message",)

    def __init__(self, message):
        self.message = str(message)


class CleanWidget(Widget):
    """Cells are parsed once, before the rows are imported (``SheetResource.before_import``):
    the widget hands the value over, or raises the cell's error."""

    def __init__(self, *args, key_is_id=False, **kwargs):
        super().__init__(coerce_to_string=False)
        self.key_is_id = key_is_id  # a foreign key set by its id: the row holds the object

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, Invalid):
            raise ValueError(value.message)
        if self.key_is_id and value is not None:
            return value.pk
        return value

    def render(self, value, obj=None, **kwargs):
        return value


class MaskedCleanWidget(CleanWidget):
    def render(self, value, obj=None, **kwargs):
        return mask_phone(value)


class NamedRowResult(RowResult):
    """A row's result names its record by its name: the model's ``__str__`` translates the
    platform, which costs more per row than the rest of the import."""

    def add_instance_info(self, instance):
        if instance is not None:
            self.object_id = getattr(instance, "pk", None)
            self.object_repr = getattr(instance, "name", "") or str(self.object_id or "")


class PreloadedLoader(BaseInstanceLoader):
    """Instances found by the resource in a few queries before the rows are read (the library's
    cached loader keys on one column and hides duplicates: these are keyed on the whole natural
    key, and duplicates are caught by the resource)."""

    def get_instance(self, row):
        return self.resource.existing.get(self.resource.row_key(row))


class SheetResource(resources.ModelResource):
    """Rows of an office's spreadsheet (already located under canonical field names), imported
    all or nothing, as a user who may write only some departments' rows.

    Every cell is parsed once in ``before_import``; rows are matched to stored records in a few
    queries; rows are written in bulk, updates as an ``INSERT … ON CONFLICT (id) DO UPDATE``
    upsert; a dry run writes nothing at all.
    """

    layout = None  # a registry.layouts.Layout
    # Whether a user writes only their departments' rows (the form: a filer's own accounts); the
    # roster is the office's, guarded by its permission alone.
    scoped = True
    tracked: tuple[str, ...] = ()  # attribute names compared to decide whether a row changes

    def __init__(
        self,
        *,
        user=None,
        writable_department_ids=None,
        default_department: Department | None = None,
        unmask_phones: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.user = user
        # None: every department (reviewers, the admin's superusers, the command line).
        self.writable = writable_department_ids
        self.default_department = default_department
        self.unmask_phones = unmask_phones
        self.existing = {}
        self.row_numbers = []
        self.dry_run = False
        if not unmask_phones:  # the admin's preview shows stored values: numbers masked
            for name in self.phone_fields:
                self.fields[name].widget = MaskedCleanWidget()

    @classmethod
    def widget_from_django_field(cls, f, default=Widget):
        return CleanWidget

    def get_import_id_fields(self):
        return []  # the natural key is the loader's (``row_key``)

    def get_instance(self, instance_loader, row):
        return instance_loader.get_instance(row)

    def import_data(self, dataset, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    # Parsing, once per cell.

    def parsers(self) -> dict:
        raise NotImplementedError

    def before_import(self, dataset, **kwargs):
        self.dry_run = bool(kwargs.get("dry_run"))
        self.row_numbers = list(getattr(dataset, "row_numbers", ())) or list(
            range(2, len(dataset) + 2)
        )
        parsers = self.parsers()
        headers = list(dataset.headers)
        departments = self._departments()
        if "department" not in headers:
            headers.append("department")
            dataset.append_col([""] * len(dataset), header="department")
        for field_name in self.extra_columns():
            if field_name not in headers:
                headers.append(field_name)
                dataset.append_col([""] * len(dataset), header=field_name)
        department_at = headers.index("department")
        required = [c.field for c in self.layout.columns if c.required and c.field in headers]
        rows = []
        for raw in dataset:
            row = list(raw)
            for i, field_name in enumerate(headers):
                value = row[i]
                if value is ABSENT:
                    continue  # the row's sheet has no such column: the field stays as it is
                if field_name == "department":
                    row[i] = self._department(value, departments)
                    continue
                parse = parsers.get(field_name)
                if parse is None:
                    continue
                try:
                    row[i] = parse(value)
                except ValueError as exc:
                    row[i] = Invalid(exc)
                    continue
                if field_name in required and row[i] in ("", None):
                    row[i] = Invalid(REQUIRED % {"column": self.layout.label(field_name)})
            if row[department_at] is None:
                row[department_at] = Invalid(
                    DEPARTMENT_REQUIRED % {"column": self.layout.label("department")}
                )
            rows.append(row)
        dataset._data = [tablib.core.Row(row) for row in rows]
        dataset.headers = headers
        self.headers = headers
        self.inferred = list(getattr(dataset, "inferred", ())) or [{}] * len(dataset)
        self.notes = []
        self.seen = {}
        self.import_plan = [
            (field.column_name, field.attribute, getattr(field.widget, "key_is_id", False))
            for field in self.get_import_fields()
            if field.column_name in headers and field.attribute and not field.readonly
        ]
        self.preload(dataset)

    def get_row_result_class(self):
        return NamedRowResult

    def extra_columns(self) -> tuple[str, ...]:
        return ()

    def _departments(self) -> dict[str, Department]:
        lookup = {}
        for department in Department.objects.all():
            lookup[department_key(department.name)] = department
            lookup.setdefault(department_key(department.code), department)
        return lookup

    def _department(self, value, departments):
        if is_blank(value):
            return self.default_department
        department = departments.get(department_key(value))
        return department or Invalid(UNKNOWN_DEPARTMENT % {"value": parse_text(value)})

    def preload(self, dataset) -> None:
        raise NotImplementedError

    def row_key(self, row):
        raise NotImplementedError

    def sheet_row(self, index: int) -> int:
        """The spreadsheet row of the dataset's row ``index`` (1-based, as the library counts)."""
        return self.row_numbers[index - 1] if 0 < index <= len(self.row_numbers) else index

    # Each row.

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._import_before = (
            None if new else {name: getattr(instance, name) for name in self.tracked}
        )

    def import_instance(self, instance, row, **kwargs):
        # The library's own loop (field.save → clean → widget.clean, per cell) costs more than
        # the rest of a row; the cells are parsed already, so each is only set (or its error
        # kept, under its column's field name).
        errors = {}
        index = kwargs.get("row_number", 0) - 1
        # An inferred value fills in a new record; it never overwrites what the register holds.
        soft = self.inferred[index] if instance.pk and 0 <= index < len(self.inferred) else {}
        for column, attribute, key_is_id in self.import_plan:
            value = row[column]
            if value is ABSENT or column in soft:
                continue
            if isinstance(value, Invalid):
                errors.setdefault(column, []).append(ValidationError(value.message))
            elif key_is_id:
                setattr(instance, attribute, value.pk if value is not None else None)
            else:
                setattr(instance, attribute, value)
        for field_name, message in self.row_problems(instance, row, errors, **kwargs):
            errors.setdefault(field_name, []).append(ValidationError(message))
        if errors:
            raise ValidationError(errors)

    def row_problems(self, instance, row, errors, **kwargs):
        """(field, message) for what is wrong with this row beyond its cells."""
        department = row.get("department")
        if (
            self.scoped
            and isinstance(department, Department)
            and self.writable is not None
            and department.pk not in self.writable
        ):
            yield "department", NOT_YOUR_DEPARTMENT % {"department": department.name}
        key = self.row_key(row)
        if key is not None:
            here = self.sheet_row(kwargs.get("row_number", 0))
            first = self.seen.setdefault(key, here)
            if first != here:
                yield self.key_field(row), self.duplicate_message % {"row": first}
        before = instance._import_before
        for name in self.phone_fields:
            value = getattr(instance, name)
            if "*" in (value or ""):
                stored = (before or {}).get(name) or ""
                if stored and mask_phone(stored) == value:
                    setattr(instance, name, stored)  # a masked export sent back unchanged
                else:
                    yield name, MASKED_PHONE % {"value": value}

    phone_fields: tuple[str, ...] = ()
    duplicate_message = DUPLICATE_IN_FILE

    def key_field(self, row) -> str:
        raise NotImplementedError

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance._import_before is None:
            return False
        before = instance._import_before
        return all(getattr(instance, name) == before[name] for name in self.tracked)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for name in self.tracked:
            field = instance._meta.get_field(name)
            value = getattr(instance, name)
            if isinstance(value, str) and field.max_length and len(value) > field.max_length:
                try:
                    MaxLengthValidator(field.max_length)(value)
                except ValidationError as exc:
                    errors.setdefault(name, []).extend(exc.error_list)
        if not errors:  # a row already wrong for its cells is not judged as a change
            for field_name, message in self.save_problems(instance):
                errors.setdefault(field_name, []).append(ValidationError(message))
        if errors:
            raise ValidationError(errors)

    def save_problems(self, instance):
        return ()

    # Writing: nothing on a dry run; new rows in batches; changed rows as one upsert per batch.

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.create_instances.clear()
            return
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run or not self.update_instances:
            self.update_instances.clear()
            return
        try:
            self._meta.model.objects.bulk_create(
                self.update_instances,
                batch_size=batch_size,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=self.upsert_fields(),
            )
        except Exception as exc:
            self.handle_import_error(result, exc, raise_errors)
        finally:
            self.update_instances.clear()

    def upsert_fields(self) -> list[str]:
        return [self._meta.model._meta.get_field(name).name for name in self.tracked]

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_diff = True  # rows are compared by ``tracked`` values, without copying instances
        skip_html_diff = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = False  # full_clean queries per row; the checks are ours
        instance_loader_class = PreloadedLoader


_CONSTRAINT_MESSAGES = {c.name: c.violation_error_message for c in Account._meta.constraints}


def _constraint(name: str):
    return _CONSTRAINT_MESSAGES[f"registry_account_{name}"]


# The staff records an account links to, found by name in its department (as on the site).
STAFF_LINKS = (("owner_id", "owner_name"), ("security_contact_id", "security_contact_name"))


# Read from a file beside the form's columns: 其他's own platform name (其他（校园网）), and the R6
# acknowledgement (a 是否知悉 column, or the box ticked on confirming the import).
IMPORTED_BESIDE_FORM = ("platform_name", "rules_acknowledged")


class FormAccountResource(SheetResource):
    """The registration form's rows: accounts matched by platform and number, or, without a
    number, by department, platform and name. New accounts are created; changed ones updated."""

    layout = FORM
    tracked = (
        "department_id",
        *(f"{name}_id" if name == "merge_into" else name for name in Account.FORM_COLUMNS[1:]),
        *IMPORTED_BESIDE_FORM,
    )
    phone_fields = ("owner_phone",)

    class Meta(SheetResource.Meta):
        model = Account
        fields = [*Account.FORM_COLUMNS, *IMPORTED_BESIDE_FORM]

    def parsers(self):
        return form_parsers()

    def extra_columns(self):
        return ()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Each changed row's facts before the import go into its field history (the upsert
        # clears the list; the history is written in the import's transaction).
        changed = [] if dry_run else [(i, i._import_before) for i in self.update_instances]
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)
        if changed and not (result and result.has_errors()):
            account_changes_record(changed=changed, by=self.user, path=AccountChange.Path.IMPORT)

    def row_key(self, row):
        platform, number = row.get("platform"), row.get("number") or ""
        other = row.get("platform_name") or ""
        if not isinstance(platform, str) or not platform or isinstance(number, Invalid):
            return None
        other = other if isinstance(other, str) else ""
        if number and number is not ABSENT:
            return ("number", platform, other, number)
        department, name = row.get("department"), row.get("name")
        if not isinstance(department, Department) or not isinstance(name, str) or not name:
            return None
        return ("name", department.pk, platform, other, name)

    def key_field(self, row):
        return "number" if row.get("number") else "name"

    def preload(self, dataset):
        at = {name: i for i, name in enumerate(self.headers)}
        numbers, names, department_ids = set(), set(), set()
        for row in dataset._data:
            row = row._row
            department = row[at["department"]]
            if isinstance(department, Department):
                department_ids.add(department.pk)
            number = row[at["number"]] if "number" in at else ""
            if isinstance(number, str) and number:
                numbers.add(number)
            elif isinstance(row[at["name"]], str):
                names.add(row[at["name"]])
        accounts = Account.objects.select_related("department")
        if not self.dry_run:
            accounts = accounts.select_for_update(of=("self",))  # held until the import commits
        found = []
        for chunk in _chunks(sorted(numbers)):
            found += accounts.filter(number__in=chunk)
        for chunk in _chunks(sorted(names)):
            found += accounts.filter(number="", department_id__in=department_ids, name__in=chunk)
        self.existing = {}
        for account in found:
            other = account.platform_name
            if account.number:
                key = ("number", account.platform, other, account.number)
            else:
                key = ("name", account.department_id, account.platform, other, account.name)
            self.existing.setdefault(key, account)
        self.states = self.filing_states([account.pk for account in found])
        self._resolve_survivors(dataset, at)
        self.staff = self._staff(department_ids)

    def filing_states(self, account_ids) -> dict[int, tuple[str, bool]]:
        """Each account's approval state (its label) and whether it may be changed now; the
        approvals app knows (registry does not import it)."""
        return {}

    def _resolve_survivors(self, dataset, at):
        """整合至 names the surviving account by number, exact name, or both as this site writes
        it (name（number）), among what the user sees."""
        if "merge_into" not in at:
            return
        column = at["merge_into"]
        wanted = {
            row._row[column]
            for row in dataset._data
            if isinstance(row._row[column], str) and row._row[column]
        }
        wanted |= {number for value in wanted if (number := survivor_number(value))}
        matches: dict[str, list[Account]] = {}
        visible = Account.objects.for_user(self.user) if self.user else Account.objects.all()
        for chunk in _chunks(sorted(wanted)):
            for account in visible.filter(Q(number__in=chunk) | Q(name__in=chunk)).only(
                "pk", "number", "name", "department_id"
            ):
                for text in {account.number, account.name} & set(chunk):
                    matches.setdefault(text, []).append(account)
        for row in dataset._data:
            value = row._row[column]
            if not isinstance(value, str) or not value:
                row._row[column] = None if value == "" else value
                continue
            key = value
            number = survivor_number(value)
            if number and any(account.number == number for account in matches.get(number, [])):
                key = number
            found = matches.get(key, [])
            by_number = [account for account in found if account.number == key]
            found = by_number or found
            if len(found) == 1:
                row._row[column] = found[0]
            else:
                message = SURVIVOR_AMBIGUOUS if found else SURVIVOR_NOT_FOUND
                row._row[column] = Invalid(message % {"value": value})

    def _staff(self, department_ids) -> dict[tuple[int, str], int | None]:
        """The staff record of each name in each department; None where two share a name."""
        people = {}
        for pk, department_id, name in Staff.objects.filter(
            department_id__in=department_ids
        ).values_list("pk", "department_id", "name"):
            key = (department_id, name)
            people[key] = None if key in people else pk
        return people

    def row_problems(self, instance, row, errors, **kwargs):
        yield from super().row_problems(instance, row, errors, **kwargs)
        before = instance._import_before
        if before is not None and before["department_id"] != instance.department_id:
            if "department" not in errors:
                yield "number", NUMBER_ELSEWHERE
        if not instance.owner_name and (before is None or before["owner_name"]):
            yield "owner_name", OWNER_MISSING
        state = row.get("state")
        if state and state is not ABSENT and instance.pk and not isinstance(state, Invalid):
            label = self.states.get(instance.pk, ("", True))[0]
            if label and header_key(state) != header_key(label):
                # A read-only column: information on the dry run, never an error.
                self.notes.append((kwargs.get("row_number", 0), STATE_READ_ONLY % {"state": label}))

    def save_problems(self, instance):
        label, editable = self.states.get(instance.pk, ("", True)) if instance.pk else ("", True)
        if not editable:
            yield "name", NOT_EDITABLE % {"state": label}
        if instance.account_type and instance.platform != Account.Platform.WECHAT_OFFICIAL:
            yield "account_type", _constraint("type_only_for_official")
        if instance.category == Account.Category.TEMPORARY_GROUP and not instance.task_end_on:
            yield "task_end_on", _constraint("temporary_group_has_task_end")
        created, ends = instance.created_on, instance.task_end_on
        if created and ends and ends < created:
            yield "task_end_on", _constraint("task_ends_after_creation")
        merging = instance.disposition == Account.Disposition.MERGE
        if merging != (instance.merge_into_id is not None):
            yield "merge_into", _constraint("merge_names_survivor")
        elif merging and instance.pk and instance.merge_into_id == instance.pk:
            yield "merge_into", _constraint("not_merged_into_itself")

    def before_save_instance(self, instance, row, **kwargs):
        for link, name_field in STAFF_LINKS:
            name = getattr(instance, name_field)
            setattr(instance, link, self.staff.get((instance.department_id, name)))
        user = self.user if getattr(self.user, "pk", None) else None
        before = instance._import_before
        if instance.rules_acknowledged and not (before or {}).get("rules_acknowledged"):
            instance.rules_acknowledged_by = user
            instance.rules_acknowledged_at = timezone.now()
        if instance.pk is None:
            instance.created_by = user
        else:
            # Bumped like an edit on the site, so a form opened before the import is refused.
            instance.version += 1
            instance.updated_at = timezone.now()

    def upsert_fields(self):
        return [
            "department",
            *Account.FORM_COLUMNS[1:],
            *IMPORTED_BESIDE_FORM,
            "rules_acknowledged_by",
            "rules_acknowledged_at",
            "owner",
            "security_contact",
            "version",
            "updated_at",
        ]


class StaffRosterResource(SheetResource):
    """The HR list: people matched by staff number, created or updated; everyone in the file is
    in post unless its status column says otherwise. People of the departments in the file who
    are missing from it are marked as left (``after_import``): the preview counts them first."""

    layout = STAFF
    scoped = False
    tracked = ("name", "department_id", "post", "phone", "status", "left_on")
    phone_fields = ("phone",)
    duplicate_message = DUPLICATE_STAFF

    class Meta(SheetResource.Meta):
        model = Staff
        fields = ["staff_number", "name", "department", "post", "phone", "status", "left_on"]

    def parsers(self):
        return staff_parsers()

    def row_key(self, row):
        number = row.get("staff_number")
        return number if isinstance(number, str) and number else None

    def key_field(self, row):
        return "staff_number"

    def preload(self, dataset):
        at = self.headers.index("staff_number")
        numbers = sorted({row._row[at] for row in dataset._data if isinstance(row._row[at], str)})
        people = Staff.objects.all()
        if not self.dry_run:
            people = people.select_for_update()
        self.existing = {}
        for chunk in _chunks(numbers):
            self.existing.update({s.staff_number: s for s in people.filter(staff_number__in=chunk)})
        self.listed_departments = set()
        self.marked_left = []

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if not instance.status:
                instance.status = Staff.Status.ACTIVE
            if instance.status == Staff.Status.ACTIVE:
                instance.left_on = None
            if instance.department_id:
                self.listed_departments.add(instance.department_id)

    def save_problems(self, instance):
        if instance.status != Staff.Status.ACTIVE and not instance.left_on:
            instance.left_on = timezone.localdate()  # gone, as of this list
        return ()

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if result.has_errors() or result.has_validation_errors():
            return
        listed = {key for key in self.seen}
        gone = Staff.objects.filter(
            department_id__in=self.listed_departments, status=Staff.Status.ACTIVE
        ).exclude(staff_number__in=listed)
        self.marked_left = list(gone.values_list("name", flat=True))
        if not kwargs.get("dry_run"):
            gone.update(status=Staff.Status.LEFT, left_on=timezone.localdate())


def _chunks(values: list, size: int = 5000):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SheetFormat(Format):
    """An import format for the admin that reads any spreadsheet the site reads (by content:
    xlsx, xls, CSV in UTF-8 or GBK) and finds its header under a title block."""

    layout = None
    title = "xlsx"

    def __init__(self, encoding=None):
        self.encoding = encoding  # unused: the content decides

    def get_title(self):
        return self.title

    def create_dataset(self, in_stream):
        table = locate_rows(read_sheet(in_stream), self.layout)
        dataset = table.dataset()
        dataset.row_numbers = table.row_numbers
        return dataset

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return self.title

    def can_import(self):
        return True

    def can_export(self):
        return False


def sheet_formats(layout) -> list[type[SheetFormat]]:
    """The admin's import formats for one layout (the chosen one only names the file's kind:
    the content decides how it is read)."""
    return [
        type(f"{title.upper()}Sheet", (SheetFormat,), {"layout": layout, "title": title})
        for title in ("xlsx", "xls", "csv")
    ]


def with_preview_diff(resource_class):
    """The resource as the admin uses it: its preview shows each row's old and new values (the
    site's preview lists rows and skips the copies a diff needs)."""

    class Meta(resource_class.Meta):
        skip_diff = False
        skip_html_diff = False

    return type(f"Admin{resource_class.__name__}", (resource_class,), {"Meta": Meta})
