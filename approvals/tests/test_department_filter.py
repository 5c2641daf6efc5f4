"""The lists' department filter (approvals.filters.DepartmentFilter), shared by the account list
and the review queue: a department chosen by id as links send it, or typed as a code or part of
a name without JavaScript; a drop-down for a user who sees few departments, a search box that
never lists them all for one who sees many."""

from html import escape

import pytest
from django.forms import ModelChoiceField
from django.urls import reverse

from approvals.filters import NO_DEPARTMENT_MATCHES
from approvals.models import Filing
from approvals.tests.factories import filing_in
from registry.models import Department
from registry.tests.factories import DepartmentFactory

ACCOUNTS = reverse("approvals:account_list")
QUEUE = reverse("approvals:review_queue")
SEARCH_BOX = 'name="department_text"'
INVALID_CHOICE = escape(str(ModelChoiceField.default_error_messages["invalid_choice"]))


def _names(response) -> list[str]:
    return sorted(account.name for account in response.context["page"])


def _no_match(text: str) -> str:
    return escape(str(NO_DEPARTMENT_MATCHES % {"text": text}))


@pytest.fixture
def colleges(db):
    """Three departments, one account each; two of them named 学院, codes K01 and K02."""
    found = {
        "finance": DepartmentFactory(code="K01", name="金融学院"),
        "accounting": DepartmentFactory(code="K02", name="会计学院"),
        "office": DepartmentFactory(code="K010", name="财务处"),
    }
    for key, department in found.items():
        filing_in(Filing.State.SUBMITTED, department=department, name=f"{key}群")
    return found


@pytest.mark.parametrize("url", [ACCOUNTS, QUEUE])
def test_it_filters_by_the_id_other_pages_link_with(client_for, reviewer, colleges, url):
    response = client_for(reviewer).get(url, {"department": colleges["finance"].pk})
    assert _names(response) == ["finance群"]


@pytest.mark.parametrize("url", [ACCOUNTS, QUEUE])
def test_it_filters_by_a_typed_code_or_part_of_a_name(client_for, reviewer, colleges, url):
    browser = client_for(reviewer)
    assert _names(browser.get(url, {"department_text": "学院"})) == ["accounting群", "finance群"]
    # A code matches whole (any case), so K01 is not also K010.
    assert _names(browser.get(url, {"department_text": " k01 "})) == ["finance群"]


@pytest.mark.parametrize("url", [ACCOUNTS, QUEUE])
def test_it_says_so_and_lists_nothing_when_no_department_matches(
    client_for, reviewer, colleges, url
):
    response = client_for(reviewer).get(url, {"department_text": "K0"})
    assert response.status_code == 200
    assert _names(response) == []
    assert _no_match("K0") in response.content.decode()


def test_a_filer_never_finds_another_departments_accounts_by_text(
    client_for, filer, department, other_department
):
    filing_in(Filing.State.DRAFT, department=department, name="我的群")
    filing_in(Filing.State.DRAFT, department=other_department, name="别人的群")
    browser = client_for(filer)
    assert _names(browser.get(ACCOUNTS, {"department_text": department.code})) == ["我的群"]
    # 测试学院 names both departments; the filer sees only their own.
    assert _names(browser.get(ACCOUNTS, {"department_text": "测试学院"})) == ["我的群"]
    for text in (other_department.code, other_department.name):
        response = browser.get(ACCOUNTS, {"department_text": text})
        assert _names(response) == []
        assert "别人的群" not in response.content.decode()
        assert _no_match(text) in response.content.decode()


@pytest.mark.parametrize("value", ["other", "not-a-number", "99999999"])
def test_it_refuses_an_id_the_user_may_not_see_with_the_form_error(
    client_for, filer, department, other_department, value
):
    filing_in(Filing.State.DRAFT, department=department, name="我的群")
    filing_in(Filing.State.DRAFT, department=other_department, name="别人的群")
    pk = other_department.pk if value == "other" else value
    for query in ({"department": pk}, {"department": pk, "department_text": "测试学院"}):
        response = client_for(filer).get(ACCOUNTS, query)
        assert response.status_code == 200
        assert _names(response) == []
        html = response.content.decode()
        assert INVALID_CHOICE in html
        assert "别人的群" not in html


def test_the_queue_applies_nothing_to_all_while_the_department_is_in_error(
    client_for, reviewer, colleges
):
    response = client_for(reviewer).post(
        f"{QUEUE}?department_text=K0",
        {"action": "return_for_revision", "comment": "请修改", "all_matching": "on"},
    )
    assert response.status_code == 302
    assert not Filing.objects.exclude(state=Filing.State.SUBMITTED).exists()


def test_the_chosen_department_stays_chosen_until_the_text_changes(
    client_for, reviewer, colleges, settings
):
    settings.NEWMEDIA_DEPARTMENT_SELECT_MAX = 1
    finance = colleges["finance"]
    browser = client_for(reviewer)
    # The page shows the chosen department's code and name, and keeps its id.
    html = browser.get(ACCOUNTS, {"department": finance.pk}).content.decode()
    assert 'value="K01 金融学院"' in html
    assert f'name="department" value="{finance.pk}"' in html
    # Submitted again as shown, the id decides.
    kept = {"department": finance.pk, "department_text": "K01 金融学院"}
    assert _names(browser.get(ACCOUNTS, kept)) == ["finance群"]
    # Another text (typed without JavaScript) decides over the id; an empty one means all.
    changed = {"department": finance.pk, "department_text": "会计"}
    assert _names(browser.get(ACCOUNTS, changed)) == ["accounting群"]
    response = browser.get(ACCOUNTS, changed)
    assert 'value="会计"' in response.content.decode()
    assert 'name="department" value=""' in response.content.decode()
    cleared = {"department": finance.pk, "department_text": ""}
    assert len(_names(browser.get(ACCOUNTS, cleared))) == 3


@pytest.mark.parametrize("url", [ACCOUNTS, QUEUE])
def test_it_offers_a_drop_down_up_to_the_setting_and_a_search_box_above(
    client_for, reviewer, colleges, settings, url
):
    browser = client_for(reviewer)
    settings.NEWMEDIA_DEPARTMENT_SELECT_MAX = 3
    html = browser.get(url).content.decode()
    for department in colleges.values():
        assert f'<option value="{department.pk}">{department.name}</option>' in html
    assert SEARCH_BOX not in html
    settings.NEWMEDIA_DEPARTMENT_SELECT_MAX = 2
    html = browser.get(url).content.decode()
    assert SEARCH_BOX in html
    assert f'data-department-picker="{reverse("approvals:department_search")}"' in html
    assert "department-picker.js" in html
    for department in colleges.values():
        assert f">{department.name}</option>" not in html


def test_a_filer_keeps_the_drop_down_of_their_department(client_for, filer, department):
    DepartmentFactory.create_batch(3)
    html = client_for(filer).get(ACCOUNTS).content.decode()
    assert f'<option value="{department.pk}">{department.name}</option>' in html
    assert SEARCH_BOX not in html


@pytest.mark.parametrize("url", [ACCOUNTS, QUEUE])
def test_a_page_does_not_list_1000_departments(client_for, reviewer, url):
    Department.objects.bulk_create(
        Department(code=f"P{n:04d}", name=f"省属单位{n:04d}", kind=Department.Kind.OFFICE)
        for n in range(1000)
    )
    html = client_for(reviewer).get(url).content.decode()
    assert SEARCH_BOX in html
    assert "省属单位" not in html
    assert html.count("<option") < 50
