"""The lists' department picker: the departments it offers come from those the user may see,
matched by the start of the code or part of the name, by code, 20 at most."""

from django.urls import reverse

from registry.models import Department
from registry.tests.factories import DepartmentFactory

URL = reverse("approvals:department_search")


def _labels(browser, **query) -> list[str]:
    response = browser.get(URL, query)
    assert response.status_code == 200
    return [department["label"] for department in response.json()["results"]]


def test_it_offers_departments_by_code_or_name_with_id_and_label(client_for, reviewer):
    accounting = DepartmentFactory(code="K02", name="会计学院")
    DepartmentFactory(code="K01", name="金融学院")
    DepartmentFactory(code="XX9", name="财务处")
    browser = client_for(reviewer)
    assert browser.get(URL, {"q": "会计"}).json()["results"] == [
        {"id": accounting.pk, "label": "K02 会计学院"}
    ]
    assert _labels(browser, q="k0") == ["K01 金融学院", "K02 会计学院"]
    assert _labels(browser, q=" 学院 ") == ["K01 金融学院", "K02 会计学院"]
    assert _labels(browser, q="无此单位") == []


def test_it_offers_twenty_at_most_in_code_order(client_for, reviewer):
    Department.objects.bulk_create(
        Department(code=f"S{n:03d}", name=f"单位{n:03d}", kind=Department.Kind.OFFICE)
        for n in range(30, 0, -1)
    )
    labels = _labels(client_for(reviewer), q="单位")
    assert labels == [f"S{n:03d} 单位{n:03d}" for n in range(1, 21)]


def test_a_filer_gets_only_their_own_departments(client_for, filer, department, other_department):
    browser = client_for(filer)
    assert _labels(browser, q="") == [f"{department.code} {department.name}"]
    assert _labels(browser, q=other_department.code) == []
    assert _labels(browser, q=other_department.name) == []


def test_a_reviewer_gets_every_department(client_for, reviewer, department, other_department):
    assert len(_labels(client_for(reviewer), q="测试学院")) == 2


def test_it_answers_only_a_signed_in_user(client, department):
    response = client.get(URL, {"q": department.name})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_a_post(client_for, reviewer):
    assert client_for(reviewer).post(URL, {"q": "学院"}).status_code == 405
