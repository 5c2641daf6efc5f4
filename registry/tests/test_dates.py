"""Dates are typed and shown as YYYY-MM-DD whatever the browser's language; 2026/12/5 and
2026年12月5日 are read too (issue 17)."""

import datetime

import pytest

from approvals.tests.factories import account_form_data
from registry.forms import AccountForm


@pytest.mark.parametrize("typed", ["2026-12-05", "2026/12/5", "2026年12月5日", "2026.12.05"])
def test_a_date_is_read_as_offices_type_it(filer, department, typed):
    form = AccountForm(account_form_data(department, created_on=typed), user=filer)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["created_on"] == datetime.date(2026, 12, 5)


def test_a_date_that_is_no_date_is_refused_in_chinese(filer, department):
    form = AccountForm(account_form_data(department, created_on="12/05/2026"), user=filer)
    assert not form.is_valid()
    assert "日期" in str(form.errors["created_on"])


def test_the_form_shows_a_text_field_in_iso_form_not_the_browsers_date_picker(filer, department):
    form = AccountForm(initial={"created_on": datetime.date(2024, 9, 1)}, user=filer)
    html = str(form["created_on"])
    assert 'type="text"' in html and 'value="2024-09-01"' in html
    assert 'placeholder="2026-12-05"' in html
