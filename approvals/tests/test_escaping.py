"""A name with & < > " in it is escaped once: in the page that shows a notification, in the
HTML e-mail; never in a subject or a plain-text body, which are text (issue 17)."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import Filing, Notification
from approvals.tests.factories import filing_in

pytestmark = pytest.mark.django_db

NAME = 'A&B <群> "试点"'


def test_a_notification_shows_the_name_as_it_is(client_for, filer, reviewer, department):
    filing = filing_in(Filing.State.DRAFT, department=department, name=NAME)
    services.step_take(filing, "submit", by=filer, comment="R&D <急>")
    notice = Notification.objects.get(recipient=reviewer)
    assert NAME in notice.subject and "&amp;" not in notice.subject
    assert NAME in notice.body and "R&D <急>" in notice.body
    assert "A&amp;B &lt;群&gt; &quot;试点&quot;" in notice.body_html  # HTML: escaped once
    assert "&amp;amp;" not in notice.body_html
    page = client_for(reviewer).get(reverse("approvals:dashboard")).content.decode()
    assert "A&amp;B &lt;群&gt; &quot;试点&quot;" in page  # escaped once, by the page
    assert "&amp;amp;" not in page and "&amp;lt;" not in page
