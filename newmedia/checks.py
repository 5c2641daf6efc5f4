"""The project's own deployment checks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

SITE_URL_UNSET = Warning(
    "NEWMEDIA_SITE_URL is not set.",
    hint=(
        "Set it to the site's public address (https://newmedia.example.edu.cn): links in e-mails "
        "sent by a Celery worker cannot know where the site is served."
    ),
    id="newmedia.W001",
)


@register(Tags.security, deploy=True)
def site_url_set(app_configs, **kwargs):
    return [] if settings.NEWMEDIA_SITE_URL else [SITE_URL_UNSET]
