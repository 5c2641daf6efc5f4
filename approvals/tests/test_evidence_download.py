from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import services
from approvals.models import Filing
from approvals.tests.factories import filing_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 16


def _reported(department, filer):
    filing = filing_in(Filing.State.CLOSING, department=department)
    services.step_take(filing, "report_closed", by=filer, evidence=SimpleUploadedFile("a.png", PNG))
    return filing


def _url(filing):
    return reverse("approvals:evidence_download", args=[filing.account_id])


def test_it_serves_the_screenshot_as_a_download_to_filer_and_reviewer(
    client_for, filer, reviewer, department
):
    filing = _reported(department, filer)
    for user in (filer, reviewer):
        response = client_for(user).get(_url(filing))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store"


def test_it_answers_404_to_the_outsider(client_for, filer, outsider, department):
    filing = _reported(department, filer)
    assert client_for(outsider).get(_url(filing)).status_code == 404


def test_it_answers_404_when_there_is_no_screenshot(client_for, filer, department):
    filing = filing_in(Filing.State.CLOSING, department=department)
    assert client_for(filer).get(_url(filing)).status_code == 404


def test_it_links_the_admin_to_the_download_never_to_media(
    client_for, admin_user, filer, department
):
    filing = _reported(department, filer)
    response = client_for(admin_user).get(
        reverse("admin:approvals_filing_change", args=[filing.pk])
    )
    page = response.content.decode()
    assert f'href="{_url(filing)}"' in page
    assert settings.MEDIA_URL not in page
