"""The API's page (Swagger UI from drf-spectacular-sidecar, served by the site itself): it
loads under the content security policy with no file from elsewhere, lists the operations, and
answers a filer's request with their department's accounts. Its screenshot is the one in
docs/integrations.md (docs/screenshots/api-docs.png)."""

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_filer_reads_the_api_page_and_tries_the_account_list(login, shots, demo):
    from playwright.sync_api import expect

    filer = login("filer_kj")
    elsewhere = []
    filer.on(
        "request",
        lambda request: (
            elsewhere.append(request.url) if not request.url.startswith(demo.url) else None
        ),
    )
    filer.goto("/api/docs/")
    expect(filer.locator(".swagger-ui .title")).to_contain_text("新媒体登记系统 API")
    operation = filer.locator("[id$='-accounts_list']")
    expect(operation).to_be_visible()
    shots.take(filer, "api-docs")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    body = operation.locator(".responses-wrapper .highlight-code").first
    expect(body).to_contain_text("会计学院")
    assert "财务处" not in body.inner_text()
    assert elsewhere == []
