"""The site's URLs (and its 500 handler) plus a page that fails, for the error-page tests."""

from django.contrib.auth.decorators import login_required
from django.urls import path

from newmedia.urls import handler500, urlpatterns  # noqa: F401  (Django reads handler500 here)


@login_required
def failing(request):
    raise RuntimeError("the page broke")


urlpatterns = [*urlpatterns, path("failing", failing)]
