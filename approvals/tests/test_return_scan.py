from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import ReturnState
from approvals.services.steps import step_take
from approvals.tests.factories import CampaignFactory, handed_in_return, return_in

PDF = b"%PDF-1.4\n% stamped form\n"


def _uploaded(department, filer):
    department_return = handed_in_return(
        campaign=CampaignFactory(), department=department, by=filer
    )
    return step_take(
        department_return, "upload_scan", by=filer, scan=SimpleUploadedFile("x.pdf", PDF)
    )


def _url(department_return):
    return reverse("approvals:return_scan", args=[department_return.pk])


def test_it_serves_the_scan_as_a_download_to_filer_and_reviewer(
    client_for, filer, reviewer, department
):
    department_return = _uploaded(department, filer)
    for user in (filer, reviewer):
        response = client_for(user).get(_url(department_return))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")
        assert ".pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store"


def test_it_answers_404_to_the_outsider(client_for, filer, outsider, department):
    department_return = _uploaded(department, filer)
    assert client_for(outsider).get(_url(department_return)).status_code == 404


def test_it_answers_404_when_there_is_no_scan(client_for, filer, department):
    department_return = return_in(
        ReturnState.NOT_STARTED, campaign=CampaignFactory(), department=department, scan=None
    )
    assert client_for(filer).get(_url(department_return)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, filer, department):
    department_return = _uploaded(department, filer)
    response = client.get(_url(department_return))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_links_the_admin_to_the_download_never_to_media(
    settings, client_for, admin_user, filer, department
):
    department_return = _uploaded(department, filer)
    response = client_for(admin_user).get(
        reverse("admin:approvals_departmentreturn_change", args=[department_return.pk])
    )
    page = response.content.decode()
    assert f'href="{_url(department_return)}"' in page
    assert settings.MEDIA_URL not in page
