from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_fsm_log.models import StateLog

from approvals import services
from approvals.models import Filing
from approvals.tests.factories import account_form_data, filing_in
from registry.models import Account

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _url(filing, name):
    return reverse("approvals:account_transition", args=[filing.account_id, name])


def _state(filing):
    return Filing.objects.get(pk=filing.pk).state


def test_it_submits_for_the_filer(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    response = client_for(filer).post(_url(filing, "submit"), {"submit-comment": "自查完毕"})
    assert response.status_code == 302
    assert _state(filing) == Filing.State.SUBMITTED
    log = StateLog.objects.for_(filing).get()
    assert (log.by, log.description) == (filer, "自查完毕")


def test_it_answers_403_with_the_reason_when_a_filer_tries_to_approve(
    client_for, filer, department
):
    filing = filing_in(Filing.State.SUBMITTED, department=department, naming_level="school")
    response = client_for(filer).post(_url(filing, "approve"), {})
    assert response.status_code == 403
    assert str(services.REVIEWER_ONLY) in response.content.decode()
    assert _state(filing) == Filing.State.SUBMITTED
    assert not StateLog.objects.for_(filing).exists()


def test_it_answers_403_when_a_reviewer_tries_to_submit(client_for, reviewer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    response = client_for(reviewer).post(_url(filing, "submit"), {})
    assert response.status_code == 403
    assert _state(filing) == Filing.State.DRAFT


def test_it_answers_404_to_the_outsider(client_for, outsider, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    assert client_for(outsider).post(_url(filing, "submit"), {}).status_code == 404
    assert _state(filing) == Filing.State.DRAFT


def test_it_answers_404_for_an_unknown_transition(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    assert client_for(reviewer).post(_url(filing, "delete"), {}).status_code == 404
    assert client_for(reviewer).post(_url(filing, "_set_closure"), {}).status_code == 404


def test_it_refuses_a_get(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    assert client_for(filer).get(_url(filing, "submit")).status_code == 405


def test_it_refuses_a_post_without_the_csrf_token(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    client = client_for(filer)
    assert client.post_without_token(_url(filing, "submit"), {}).status_code == 403
    assert _state(filing) == Filing.State.DRAFT


def test_it_keeps_a_return_without_a_comment_from_happening(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    response = client_for(reviewer).post(_url(filing, "return_for_revision"), {})
    assert response.status_code == 400
    assert _state(filing) == Filing.State.SUBMITTED


def test_it_shows_the_guard_reasons_when_refusing(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, name="财政厅工作群")
    response = client_for(reviewer).post(_url(filing, "register"), {})
    assert response.status_code == 400
    assert "财政厅" in response.content.decode()
    assert _state(filing) == Filing.State.SUBMITTED


def test_it_answers_409_when_someone_else_acted_first(client_for, reviewer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department)
    Filing.objects.filter(pk=filing.pk).update(state=Filing.State.RETURNED)
    response = client_for(reviewer).post(
        _url(filing, "order_closure"),
        {
            "order_closure-expected_state": "submitted",
            "order_closure-kind": "dissolve",
            "order_closure-reason": "僵尸群",
        },
    )
    assert response.status_code == 409
    assert (
        services.STALE_STATE % {"state": Filing.State.RETURNED.label} in response.content.decode()
    )
    assert _state(filing) == Filing.State.RETURNED


def test_it_ignores_a_posted_state_or_department(client_for, filer, department, other_department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    client_for(filer).post(
        _url(filing, "submit"),
        {"submit-state": "approved", "state": "approved", "department": other_department.pk},
    )
    filing.refresh_from_db()
    assert (filing.state, filing.account.department) == (Filing.State.SUBMITTED, department)


def test_it_stores_and_reports_the_closure_screenshot(client_for, filer, department):
    filing = filing_in(Filing.State.CLOSING, department=department)
    shot = SimpleUploadedFile("done.png", PNG, content_type="image/png")
    response = client_for(filer).post(
        _url(filing, "report_closed"), {"report_closed-evidence": shot}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.closure_reported_at is not None
    assert filing.closure_evidence.read() == PNG


def test_it_refuses_a_disguised_screenshot(client_for, filer, department):
    filing = filing_in(Filing.State.CLOSING, department=department)
    fake = SimpleUploadedFile("done.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client_for(filer).post(
        _url(filing, "report_closed"), {"report_closed-evidence": fake}
    )
    assert response.status_code == 400
    filing.refresh_from_db()
    assert filing.closure_reported_at is None


def test_it_carries_an_account_through_the_whole_workflow(client_for, filer, reviewer, department):
    """The story of the issue: add, submit, return, fix, resubmit, register, close, confirm."""
    filer_client = client_for(filer)
    filer_client.post(reverse("approvals:account_create"), account_form_data(department))
    account = Account.objects.get()
    filing = account.filing
    filer_client.post(_url(filing, "submit"), {"submit-comment": "请审核"})
    filer_client.logout()

    reviewer_client = client_for(reviewer)
    reviewer_client.post(
        _url(filing, "return_for_revision"), {"return_for_revision-comment": "请补充成员人数"}
    )
    reviewer_client.logout()

    filer_client = client_for(filer)
    assert "请补充成员人数" in filer_client.get(reverse("approvals:dashboard")).content.decode()
    filer_client.post(
        reverse("approvals:account_edit", args=[account.pk]),
        account_form_data(department, member_count="42", version="1"),
    )
    filer_client.post(_url(filing, "submit"), {"submit-comment": "已补充"})
    filer_client.logout()

    reviewer_client = client_for(reviewer)
    reviewer_client.post(_url(filing, "register"), {"register-comment": "登记备案"})
    reviewer_client.post(
        _url(filing, "order_closure"),
        {"order_closure-kind": "dissolve", "order_closure-reason": "任务已结束"},
    )
    reviewer_client.logout()

    filer_client = client_for(filer)
    shot = SimpleUploadedFile("done.png", PNG, content_type="image/png")
    filer_client.post(_url(filing, "report_closed"), {"report_closed-evidence": shot})
    filer_client.logout()

    client_for(reviewer).post(_url(filing, "confirm_closed"), {"confirm_closed-comment": "已核实"})

    account.refresh_from_db()
    assert (account.member_count, account.filing.state) == (42, Filing.State.CLOSED)
    page = client_for(filer).get(account.get_absolute_url())
    steps = [(e.action, e.who, e.comment) for e in page.context["history"]][1:]

    def label(name):
        return services.step_label(Filing, name)

    assert steps == [
        (label("submit"), filer.get_full_name(), "请审核"),
        (label("return_for_revision"), reviewer.get_full_name(), "请补充成员人数"),
        (label("submit"), filer.get_full_name(), "已补充"),
        (label("register"), reviewer.get_full_name(), "登记备案"),
        (label("order_closure"), reviewer.get_full_name(), "任务已结束"),
        (label("report_closed"), filer.get_full_name(), ""),
        (label("confirm_closed"), reviewer.get_full_name(), "已核实"),
    ]
