from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/evidence/", views.evidence_download, name="evidence_download"),
    path(
        "accounts/<int:pk>/transition/<str:name>/",
        views.account_transition,
        name="account_transition",
    ),
    path("review/", views.review_queue, name="review_queue"),
]
