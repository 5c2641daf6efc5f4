from django.urls import path

from . import views

app_name = "cleanup"

urlpatterns = [
    path("findings/", views.finding_list, name="finding_list"),
    path("accounts/<int:pk>/roster/", views.roster_detail, name="roster_detail"),
    path("accounts/<int:pk>/roster/upload/", views.roster_upload, name="roster_upload"),
    path("accounts/<int:pk>/roster/removals/", views.roster_removals, name="roster_removals"),
    path(
        "accounts/<int:pk>/roster/members/<int:member_pk>/decide/",
        views.roster_decide,
        name="roster_decide",
    ),
]
