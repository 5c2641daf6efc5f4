"""manage.py import_accounts and export_register, and the admin's import of the form."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import filing_in
from approvals.tests.sheets import form_row, table, xlsx
from registry.models import Account


def test_it_imports_from_the_command_line(tmp_path, department, other_department):
    path = tmp_path / "登记表.xlsx"
    path.write_bytes(xlsx(table([form_row(department, 1), form_row(other_department, 2)])))
    out = io.StringIO()
    call_command("import_accounts", str(path), "--dry-run", stdout=out)
    assert "试运行，未写入：新增 2，更新 0，未变 0" in out.getvalue()
    assert not Account.objects.exists()
    call_command("import_accounts", str(path), stdout=out)
    assert Account.objects.filter(filing__state=Filing.State.DRAFT).count() == 2


def test_it_prints_the_inferences_and_uses_the_department_given(tmp_path, department):
    book = openpyxl.Workbook()
    book.active.title = "QQ群"
    book.active.append(["QQ群名称", "QQ群号", "群主", "管理员"])
    book.active.append(["教职工群", "612345001", "张伟", "李娜"])
    path = tmp_path / "qq.xlsx"
    book.save(path)
    out = io.StringIO()
    args = [str(path), "--department", department.code]
    call_command("import_accounts", *args, "--dry-run", stdout=out)
    printed = out.getvalue()
    assert "[QQ群] 第 2 行，教职工群：推断 平台=QQ群" in printed
    assert "[QQ群] 管理员 → 管理员" in printed and not Account.objects.exists()
    call_command("import_accounts", *args, stdout=io.StringIO())
    account = Account.objects.get()
    assert (account.department, account.platform, account.administrator_name) == (
        department,
        "qq_group",
        "李娜",
    )


def test_it_fails_on_the_command_line_and_writes_nothing(tmp_path, department):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx(table([form_row(department, 平台="飞书")])))
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 个问题：未导入任何内容。"):
        call_command("import_accounts", str(path), stdout=io.StringIO(), stderr=errors)
    assert errors.getvalue().startswith("[登记表] 第 ") or "第 " in errors.getvalue()
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_it_names_an_unknown_department_code_in_chinese(tmp_path):
    with pytest.raises(CommandError, match="没有代码为“XX”的单位。"):
        call_command("export_register", "--department", "XX", "-o", str(tmp_path / "f.xlsx"))


@pytest.mark.parametrize("name", ["register.xlsx", "register.csv"])
def test_it_exports_from_the_command_line(tmp_path, department, name):
    filing_in(Filing.State.REGISTERED, department=department, name="会计学院教职工群")
    path = tmp_path / name
    call_command("export_register", "-o", str(path), stdout=io.StringIO())
    assert "会计学院教职工群".encode() in (
        path.read_bytes() if name.endswith("csv") else _cells(path.read_bytes())
    )
    out = io.StringIO()
    call_command("export_register", "--department", department.code, "-o", str(path), stdout=out)
    assert path.stat().st_size and out.getvalue().startswith(f"已写入 {path}")


def _cells(content: bytes) -> bytes:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return "".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v).encode()


def test_it_imports_the_form_in_the_admin_opening_drafts(client_for, admin_user, department):
    client = client_for(admin_user)
    url = reverse("admin:registry_account_import")
    data = xlsx(table([form_row(department)]), title="登记表", footer=True)
    response = client.post(
        url, {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("a.xlsx", data)}
    )
    assert response.status_code == 200 and "confirm_form" in response.context
    response = client.post(
        reverse("admin:registry_account_process_import"), response.context["confirm_form"].initial
    )
    assert response.status_code == 302
    assert Account.objects.get().filing.state == Filing.State.DRAFT


def test_it_shows_the_readers_refusal_in_the_admin(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("admin:registry_account_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("a.xlsx", b"%PDF-1.4")},
    )
    from registry.sheets import NOT_A_SPREADSHEET

    assert response.context["form"].errors["import_file"] == [str(NOT_A_SPREADSHEET)]


def test_it_refuses_the_admin_import_without_the_permission(client_for, db):
    from django.contrib.auth.models import Permission

    from registry.tests.factories import UserFactory

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_account", "view_account"])
    )
    assert client_for(clerk).get(reverse("admin:registry_account_import")).status_code == 403
    assert client_for(clerk).get(reverse("admin:registry_account_export")).status_code == 403
