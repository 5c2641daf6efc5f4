"""The account form's staff picker: the names it offers come from the staff in post of the
departments the user may see, never another department's, and the form wires its three name
fields to it."""

from django.urls import reverse

from registry.models import Staff
from registry.tests.factories import StaffFactory

URL = reverse("approvals:staff_search")


def _names(browser, **query) -> list[str]:
    response = browser.get(URL, query)
    assert response.status_code == 200
    return [person["name"] for person in response.json()["results"]]


def test_it_offers_the_departments_staff_in_post_with_number_and_post(
    client_for, filer, department
):
    StaffFactory(department=department, name="周建华", staff_number="10001", post="科长")
    StaffFactory(department=department, name="周敏", staff_number="10002")
    StaffFactory(department=department, name="周离", status=Staff.Status.LEFT, left_on="2026-01-01")
    StaffFactory(department=department, name="吴海燕", staff_number="20001")
    response = client_for(filer).get(URL, {"q": "周", "department": department.pk})
    assert response.json()["results"] == [
        {"name": "周建华", "post": "科长", "label": "工号 10001 · 科长"},
        {"name": "周敏", "post": "", "label": "工号 10002"},
    ]


def test_it_finds_a_person_by_the_start_of_the_staff_number(client_for, filer, department):
    StaffFactory(department=department, name="周建华", staff_number="10001")
    StaffFactory(department=department, name="吴海燕", staff_number="20001")
    assert _names(client_for(filer), q="100") == ["周建华"]


def test_a_filer_never_gets_another_departments_staff(
    client_for, filer, department, other_department
):
    StaffFactory(department=department, name="本单位教师")
    StaffFactory(department=other_department, name="外单位教师")
    browser = client_for(filer)
    assert _names(browser, q="教师") == ["本单位教师"]
    assert _names(browser, q="教师", department=other_department.pk) == []
    assert _names(browser, q="教师", department="not-a-number") == []


def test_it_answers_only_a_signed_in_user(client):
    response = client.get(URL, {"q": "周"})
    assert response.status_code == 302


def test_the_form_offers_the_picker_on_the_three_name_fields(client_for, filer):
    html = client_for(filer).get(reverse("approvals:account_create")).content.decode()
    for field in ("owner_name", "administrator_name", "security_contact_name"):
        assert f'list="id_{field}-staff"' in html
        assert f'<datalist id="id_{field}-staff">' in html
    assert 'data-post-field="owner_post"' in html
    assert "staff-picker.js" in html
