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
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/open/<int:department_pk>/", views.return_open, name="return_open"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/<int:pk>/scan/", views.return_scan, name="return_scan"),
    path(
        "returns/<int:pk>/transition/<str:name>/",
        views.return_transition,
        name="return_transition",
    ),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
]
