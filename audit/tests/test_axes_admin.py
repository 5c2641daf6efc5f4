"""django-axes's admin reads Chinese: its heading, its models and their columns (issue 17)."""

import re

from django.urls import reverse

from registry.tests.factories import UserFactory


def test_the_login_protection_admin_is_in_chinese(client_for, db):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = client_for(admin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "登录保护" in index and "登录尝试" in index and "登录日志" in index
    for name in ("accessattempt", "accesslog", "accessfailurelog"):
        page = client.get(reverse(f"admin:axes_{name}_changelist")).content.decode()
        assert page.count("<th") > 0
        english = re.findall(r"Access (?:attempts?|failures?|logs?)|AXES|Axes", page)
        assert english == [], (name, english)
