from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from .views import healthz, readyz

admin.site.site_header = settings.NEWMEDIA_SITE_TITLE
admin.site.site_title = settings.NEWMEDIA_SITE_TITLE

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
