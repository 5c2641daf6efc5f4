"""Chinese first: every string a user sees is translated, and the compiled catalogue is current."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import CampaignFactory, filing_in, return_in

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"


def test_it_translates_every_entry_of_the_catalogue():
    catalogue = polib.pofile(str(PO))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert catalogue.obsolete_entries() == []


def test_it_ships_a_compiled_catalogue_that_matches_the_source():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr, entry.msgid
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_it_has_no_string_missing_from_the_catalogue(tmp_path):
    """makemessages over a copy of the code finds nothing the catalogue lacks."""
    if not shutil.which("xgettext"):
        if os.environ.get("CI") == "true":
            pytest.fail("xgettext (Debian package gettext) is required in CI")
        pytest.skip("xgettext is not installed (apt-get install gettext)")
    base = Path(settings.BASE_DIR)
    for name in (
        "audit",
        "registry",
        "cleanup",
        "approvals",
        "robots",
        "api",
        "newmedia",
        "templates",
        "locale",
    ):
        shutil.copytree(base / name, tmp_path / name, ignore=shutil.ignore_patterns("tests"))
    shutil.copy(base / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=tmp_path,
        env={**os.environ, "SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "newmedia.settings.base"},
        check=True,
        capture_output=True,
    )
    regenerated = polib.pofile(str(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po"))
    assert [e.msgid for e in regenerated.untranslated_entries()] == []
    # A new string close to a known one is merged as a fuzzy guess at it ("account tally" took
    # the translation of "account type"), not left untranslated.
    assert [e.msgid for e in regenerated.fuzzy_entries()] == []
    assert [e.msgid for e in regenerated.obsolete_entries()] == []


class _Text(HTMLParser):
    """The text a person reads on a page, with the attributes a screen reader reads out."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and ("type", "submit") in attrs:
                self.parts.append(value or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


# Names that are the same in Chinese text: products, file formats.
ALLOWED = {"QQ", "ID", "PNG", "JPG", "PDF", "APP"}


def _english_words(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    words = set(re.findall(r"[A-Za-z]{2,}", " ".join(parser.parts)))
    return words - ALLOWED


@pytest.fixture
def pages(department):
    draft = filing_in(Filing.State.DRAFT, department=department, name="草稿群")
    submitted = filing_in(Filing.State.SUBMITTED, department=department, name="已提交群")
    closing = filing_in(Filing.State.CLOSING, department=department, name="关停中群")
    campaign = CampaignFactory(office_email="")  # an address would read as English words
    handed_in = return_in("handed_in", campaign=campaign, department=department)
    return {
        "filer": [
            reverse("approvals:dashboard"),
            reverse("approvals:account_list"),
            reverse("approvals:account_create"),
            reverse("approvals:account_detail", args=[draft.account_id]),
            reverse("approvals:account_edit", args=[draft.account_id]),
            reverse("approvals:account_detail", args=[closing.account_id]),
            reverse("approvals:return_detail", args=[handed_in.pk]),
        ],
        "reviewer": [
            reverse("approvals:return_list"),
            reverse("approvals:return_detail", args=[handed_in.pk]),
            reverse("approvals:campaign_list"),
            reverse("approvals:campaign_create"),
            reverse("approvals:campaign_edit", args=[campaign.pk]),
            reverse("approvals:dashboard"),
            reverse("approvals:account_list"),
            reverse("approvals:review_queue"),
            reverse("approvals:account_detail", args=[submitted.account_id]),
            reverse("approvals:account_detail", args=[closing.account_id]),
        ],
    }


def test_it_shows_no_english_on_the_pages_filers_and_reviewers_see(
    client_for, client, filer, reviewer, pages
):
    assert _english_words(client.get(reverse("login")).content.decode()) == set()
    for user, urls in ((filer, pages["filer"]), (reviewer, pages["reviewer"])):
        browser = client_for(user)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, url
            assert _english_words(response.content.decode()) == set(), url
        browser.logout()


def test_it_answers_a_refusal_and_a_missing_page_in_chinese(client_for, filer, other_department):
    other = filing_in(Filing.State.DRAFT, department=other_department)
    browser = client_for(filer)
    for url in (
        reverse("approvals:review_queue"),
        reverse("approvals:account_detail", args=[other.account_id]),
    ):
        assert _english_words(browser.get(url).content.decode()) == set(), url


def test_it_answers_in_chinese_whatever_the_browser_asks_for(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in response.content.decode()
