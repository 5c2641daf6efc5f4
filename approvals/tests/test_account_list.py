from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import filing_in
from registry.models import Account

URL = reverse("approvals:account_list")


def _names(response):
    return [account.name for account in response.context["page"]]


def test_it_lists_only_the_filers_own_accounts(client_for, filer, department, other_department):
    filing_in(Filing.State.DRAFT, department=department, name="我的群")
    filing_in(Filing.State.DRAFT, department=other_department, name="别人的群")
    response = client_for(filer).get(URL)
    assert _names(response) == ["我的群"]
    assert "别人的群" not in response.content.decode()


def test_it_ignores_another_departments_id_in_the_filter(
    client_for, filer, department, other_department
):
    filing_in(Filing.State.DRAFT, department=other_department, name="别人的群")
    response = client_for(filer).get(URL, {"department": other_department.pk})
    assert "别人的群" not in _names(response)


def test_it_lists_every_department_for_a_reviewer(
    client_for, reviewer, department, other_department
):
    filing_in(Filing.State.DRAFT, department=department, name="甲")
    filing_in(Filing.State.DRAFT, department=other_department, name="乙")
    assert sorted(_names(client_for(reviewer).get(URL))) == ["乙", "甲"]


def test_it_filters_by_state_platform_level_category_and_department(
    client_for, reviewer, department, other_department
):
    filing_in(
        Filing.State.SUBMITTED,
        department=department,
        name="目标",
        platform="douyin",
        naming_level="work",
        category="publishing",
    )
    filing_in(Filing.State.SUBMITTED, department=department, name="平台不同")
    filing_in(
        Filing.State.DRAFT,
        department=department,
        name="状态不同",
        platform="douyin",
        naming_level="work",
        category="publishing",
    )
    filing_in(
        Filing.State.SUBMITTED,
        department=other_department,
        name="单位不同",
        platform="douyin",
        naming_level="work",
        category="publishing",
    )
    query = {
        "state": "submitted",
        "platform": "douyin",
        "naming_level": "work",
        "category": "publishing",
        "department": department.pk,
    }
    assert _names(client_for(reviewer).get(URL, query)) == ["目标"]


def test_it_searches_names_numbers_and_owners(client_for, reviewer, department):
    filing_in(Filing.State.DRAFT, department=department, name="就业服务群", number="987654321")
    filing_in(Filing.State.DRAFT, department=department, name="其他群", owner_name="欧阳修")
    client = client_for(reviewer)
    assert _names(client.get(URL, {"q": "就业"})) == ["就业服务群"]
    assert _names(client.get(URL, {"q": "98765"})) == ["就业服务群"]
    assert _names(client.get(URL, {"q": "欧阳"})) == ["其他群"]


def test_it_pages_the_list(client_for, reviewer, department, settings):
    settings.NEWMEDIA_PAGE_SIZE = 5
    for n in range(7):
        filing_in(Filing.State.DRAFT, department=department, name=f"群{n}")
    client = client_for(reviewer)
    assert len(_names(client.get(URL))) == 5
    assert len(_names(client.get(URL, {"page": 2}))) == 2


def test_it_escapes_markup_in_names(client_for, reviewer, department):
    filing_in(Filing.State.DRAFT, department=department, name="<script>alert(1)</script>")
    body = client_for(reviewer).get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_marks_a_forbidden_name(client_for, reviewer, department):
    filing_in(Filing.State.SUBMITTED, department=department, name="财政厅政策群")
    assert "badge text-bg-danger" in client_for(reviewer).get(URL).content.decode()


def _counts_accounts(queries) -> bool:
    return any(
        q["sql"].startswith("SELECT COUNT(*)") and '"registry_account"' in q["sql"] for q in queries
    )


def test_its_total_comes_from_the_tallies_and_counts_every_account(
    client_for, reviewer, filer, department, other_department
):
    """Issue 19: no COUNT over the accounts when the filters are those the tallies are keyed by,
    and the total is exact: accounts without a filing yet included, another department's left
    out for a filer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.tests.factories import AccountFactory

    for state in ("draft", "draft", "submitted"):
        filing_in(state, department=department, platform="weibo")
    filing_in("draft", department=other_department, platform="douyin")
    AccountFactory(department=department, platform="weibo")  # imported, no filing yet
    cases = [
        (reviewer, {}, 5),
        (reviewer, {"department": department.pk}, 4),
        (reviewer, {"platform": "weibo"}, 4),
        (reviewer, {"state": "draft"}, 3),
        (reviewer, {"department": other_department.pk, "state": "draft"}, 1),
        (reviewer, {"department": department.pk, "platform": "douyin"}, 0),
        # Typed without JavaScript: every department whose name contains the text.
        (reviewer, {"department_text": department.name[:-1]}, None),
        (filer, {}, 4),
        (filer, {"state": "submitted", "platform": "weibo"}, 1),
    ]
    for user, filters, total in cases:
        if total is None:
            total = Account.objects.filter(
                department__name__contains=filters["department_text"]
            ).count()
        client = client_for(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, filters)
        assert response.context["page"].paginator.count == total, filters
        assert len(response.context["page"]) == total, filters
        assert not _counts_accounts(queries.captured_queries), filters
    # A filter the tallies do not keep (a search): the database counts, rightly.
    with CaptureQueriesContext(connection) as queries:
        response = client_for(reviewer).get(URL, {"q": "不存在的群名"})
    assert response.context["page"].paginator.count == 0
    assert _counts_accounts(queries.captured_queries)
