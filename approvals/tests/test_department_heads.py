"""部门负责人: a department's head reads its data and receives copies (抄送) of its results, signs
and files nothing, and never sees another department's."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from approvals import services
from approvals.models import Filing, Notification
from approvals.tests.factories import filing_in
from registry.roles import HEAD_GROUP
from registry.tests.factories import UserFactory

S = Filing.State


@pytest.fixture
def head(department):
    user = UserFactory(username="head")
    user.groups.add(Group.objects.get(name=HEAD_GROUP))
    department.heads.add(user)
    return user


def test_a_head_reads_the_departments_accounts_and_not_anothers(
    client_for, head, department, other_department
):
    mine = filing_in(S.SUBMITTED, department=department)
    theirs = filing_in(S.SUBMITTED, department=other_department)
    client = client_for(head)
    page = client.get(reverse("approvals:account_list"))
    assert [a.pk for a in page.context["page"]] == [mine.account_id]
    assert client.get(mine.account.get_absolute_url()).status_code == 200
    assert client.get(theirs.account.get_absolute_url()).status_code == 404


def test_a_head_signs_and_files_nothing(client_for, head, department):
    filing = filing_in(S.DRAFT, department=department)
    client = client_for(head)
    assert client.get(filing.account.get_absolute_url()).context["actions"] == []
    response = client.post(
        reverse("approvals:account_transition", args=[filing.account_id, "submit"]), {}
    )
    assert response.status_code == 403
    assert client.get(reverse("approvals:account_create")).status_code == 403
    filing.refresh_from_db()
    assert filing.state == S.DRAFT


@pytest.mark.parametrize(
    ("name", "arguments"),
    [("register", {}), ("return_for_revision", {"comment": "请补充"})],
)
def test_a_head_receives_a_copy_of_each_result(head, filer, reviewer, department, name, arguments):
    filing = filing_in(S.SUBMITTED, department=department)
    services.step_take(filing, name, by=reviewer, **arguments)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        head.username,
        filer.username,
    }


def test_a_head_is_not_told_of_submissions(head, filer, reviewer, department):
    services.step_take(filing_in(S.DRAFT, department=department), "submit", by=filer)
    assert not Notification.objects.filter(recipient=head).exists()
