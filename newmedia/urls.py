from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from . import signin
from .views import healthz, readyz

admin.site.site_header = settings.NEWMEDIA_SITE_TITLE
admin.site.site_title = settings.NEWMEDIA_SITE_TITLE

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        signin.LoginView.as_view(),
        name="login",
    ),
    path("logout/", signin.logout, name="logout"),
    # CAS sign-in; also the service address the CAS server posts single logout requests to.
    path("cas/login/", signin.CASLoginView.as_view(), name="cas_ng_login"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Browsers and crawlers ask for it whatever the page says: the page's icon answers.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("audit/", include("audit.urls")),
    path("api/", include("api.urls")),
    path("", include("cleanup.urls")),
    path("", include("approvals.urls")),
]

handler500 = "newmedia.views.server_error"
