"""No English on any page a user sees: on the demo data, every link reachable from the
dashboard (and, for the administrator, from the admin's index) is opened as each role, and the
text read on it, with the attributes a screen reader reads out, must hold no Latin word but the
allowed ones: product names and file formats, and the codes, numbers and names of the data."""

import io
import re
from collections import Counter, deque
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command

from approvals.models import Campaign, DepartmentReturn, Filing, Notification
from cleanup.forms import column_letter
from registry.models import Account, Department, Staff

from .test_i18n import ALLOWED, _Text

pytestmark = pytest.mark.django_db

# Never opened: leaving, the files served as they are, and Django's own script catalogue.
SKIPPED = re.compile(r"^/(logout/|static/|media/|admin/logout/|admin/jsi18n/)")
# Pages of one kind (``_kind``) opened at most this often: they share a template, and two of them
# show its variants.
PER_KIND = 2
# More pages than any role reaches (the administrator about 280): the crawl ends by itself.
LIMIT = 1000


# File formats and encodings, named as offices name them; the keys Django's help names; the
# platforms' own terms.
FORMATS = {
    *(
        "CSV",
        "csv",
        "pdf",
        "png",
        "jpg",
        "Excel",
        "GBK",
        "UTF",
        "xls",
        "xlsx",
        "tsv",
        "json",
        "yaml",
        "html",
        "HTML",
    ),
    *("docx", "doc", "Word", "WPS", "JPEG", "LDAP", "Control", "Command", "Mac"),
    # The group robots' terms as WeCom and DingTalk print them in Chinese: Webhook 地址, and
    # DingTalk's 加签 secret, which starts with SEC.
    *("Webhook", "SEC"),
    # The REST API, named so in Chinese too (API 令牌).
    "API",
}
# Codes in the text: web addresses and paths, and hexadecimal check codes.
CODES = re.compile(r"https?://\S+|(?<!\S)/\S*|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b")
# A spreadsheet's column letters, offered where a file's columns are mapped.
COLUMNS = {column_letter(n) for n in range(52)}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _kind(url: str) -> tuple:
    """Pages of one kind: the same path but for its numbers, with or without a query."""
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path), bool(parts.query)


def _english_words(html: str) -> set[str]:
    """The Latin words a person reads on the page, codes left out. Django puts values (a
    password's salt) in <bdi>."""
    parser = _Text()
    parser.feed(re.sub(r"<bdi>.*?</bdi>", "", html, flags=re.S))
    text = CODES.sub(" ", " ".join(parser.parts))
    return set(re.findall(r"[A-Za-z]{2,}", text)) - ALLOWED


def _file_columns() -> set[str]:
    """The column names the admin's imports and exports read and write: a file's codes."""
    names = set()
    for model_admin in admin.site._registry.values():
        for resource in [
            *getattr(model_admin, "resource_classes", []),
            getattr(model_admin, "import_resource_class", None),
        ]:
            for field in getattr(resource, "fields", {}).values():
                names |= set(re.findall(r"[A-Za-z]{2,}", field.column_name or ""))
    return names


def _data_words() -> set[str]:
    """Latin words of the data itself: user names, codes, numbers, file names, addresses."""
    values = []
    for user in get_user_model().objects.all():
        values += [user.username, user.email, user.get_full_name()]
    values += Department.objects.values_list("code", flat=True)
    values += Staff.objects.values_list("staff_number", flat=True)
    for row in Account.objects.values_list("name", "number", "platform_name", "purpose"):
        values += row
    for row in Campaign.objects.values_list("title", "document_number", "office_email"):
        values += row
    # Messages as sent, shown whole in the admin's outbox.
    for row in Notification.objects.values_list("subject", "body", "body_html", "link"):
        values += row
    values += [
        str(PurePosixPath(name).name)
        for name in Filing.objects.values_list("closure_evidence", flat=True)
    ]
    values += [
        str(PurePosixPath(name).name)
        for name in DepartmentReturn.objects.values_list("scan", flat=True)
    ]
    return set(re.findall(r"[A-Za-z]{2,}", " ".join(filter(None, values))))


def _in_context(html: str, words: set[str]) -> str:
    """Each word with the text around its first appearance, to find where it comes from."""
    parser = _Text()
    parser.feed(html)
    text = re.sub(r"\s+", " ", " ".join(parser.parts))
    shown = []
    for word in sorted(words)[:8]:
        at = re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text)
        shown.append(f"{word} «{text[max(0, at.start() - 30) : at.end() + 30]}»" if at else word)
    return "; ".join(shown) + (f" (+{len(words) - 8})" if len(words) > 8 else "")


def _crawl(client, start: list[str], allowed: set[str], limit: int) -> tuple[list[str], int]:
    problems, seen, kinds = [], set(start), Counter()
    queue = deque(start)
    opened = 0
    while queue and opened < limit:
        url = queue.popleft()
        response = client.get(url)
        opened += 1
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            links = [target]
        else:
            if response.status_code >= 500:
                problems.append(f"{url}: {response.status_code}")
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            html = response.content.decode()
            if words := _english_words(html) - allowed:
                problems.append(f"{url}: {_in_context(html, words)}")
            parser = _Links()
            parser.feed(html)
            links = [urljoin(url, href) for href in parser.hrefs]
        for link in links:
            parts = urlsplit(link)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen or SKIPPED.match(parts.path) or kinds[_kind(local)] >= PER_KIND:
                continue
            seen.add(local)
            kinds[_kind(local)] += 1
            queue.append(local)
    return problems, opened


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())
    return _data_words() | _file_columns() | FORMATS | COLUMNS


@pytest.mark.parametrize(
    ("username", "start"),
    [
        ("filer_kj", "/"),  # a department's filer
        ("head_kj", "/"),  # its head, who reads
        ("reviewer1", "/"),
        ("leader1", "/"),  # a leader who signs school accounts off
        ("admin", "/admin/"),  # the administrator, in the admin
    ],
)
def test_no_page_a_role_reaches_shows_english(client, demo, username, start):
    client.force_login(get_user_model().objects.get(username=username))
    problems, opened = _crawl(client, [start], demo, LIMIT)
    assert 5 < opened < LIMIT, f"{opened} pages reached: the crawl went wrong or did not finish"
    import os

    if os.environ.get("CRAWL_DUMP"):
        open(f"/tmp/crawl-{username}.txt", "w").write("\n".join(problems))
    assert not problems, f"{len(problems)} of {opened} pages:\n" + "\n".join(problems)
