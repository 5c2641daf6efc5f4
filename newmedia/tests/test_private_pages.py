"""Pages for a signed-in user are kept by no cache (issue 14, item 6): the account page and its
edit form show whole phone numbers, the print view the department's whole form."""

import pytest
from django.urls import reverse

from approvals.tests.factories import filing_in


@pytest.mark.parametrize("page", ["detail", "edit", "print", "dashboard"])
def test_a_signed_in_page_is_private_and_not_stored(client_for, filer, department, page):
    filing = filing_in("draft", department=department)
    url = {
        "detail": filing.account.get_absolute_url(),
        "edit": reverse("approvals:account_edit", args=[filing.account_id]),
        "print": reverse("approvals:form_print", args=[department.pk]),
        "dashboard": reverse("approvals:dashboard"),
    }[page]
    response = client_for(filer).get(url)
    assert response.status_code == 200
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}


def test_a_download_keeps_its_own_cache_control(client_for, filer, department):
    response = client_for(filer).get(reverse("approvals:form_download", args=[department.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
