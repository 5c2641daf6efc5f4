from django.urls import path

from . import centre_views, registration_views, views

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
    path("accounts/<int:pk>/change/", views.change_request, name="change_request"),
    path("annual/", views.annual_review, name="annual_review"),
    path(
        "annual/<int:pk>/transition/<str:name>/",
        views.confirmation_transition,
        name="confirmation_transition",
    ),
    path(
        "changes/<int:pk>/transition/<str:name>/",
        views.change_transition,
        name="change_transition",
    ),
    path("staff/choices/", views.staff_search, name="staff_search"),
    path("departments/choices/", views.department_search, name="department_search"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/changes/", views.changes_review, name="changes_review"),
    path("accounts/submit-drafts/", views.drafts_submit, name="drafts_submit"),
    path("signoffs/", views.signoff_queue, name="signoff_queue"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/open/<int:department_pk>/", views.return_open, name="return_open"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/department/<int:department_pk>/", views.return_mine, name="return_mine"),
    path("returns/<int:pk>/scan/", views.return_scan, name="return_scan"),
    path(
        "returns/<int:pk>/handed-in/<int:number>.<str:file_format>",
        views.return_snapshot_file,
        name="return_snapshot_file",
    ),
    path(
        "returns/<int:pk>/transition/<str:name>/",
        views.return_transition,
        name="return_transition",
    ),
    # The registration form (登记表): import, download, print, the school-wide register.
    path("form/", registration_views.form_home, name="form_home"),
    path("form/import/", registration_views.import_upload, name="import_upload"),
    path(
        "form/import/<uuid:token>/confirm/",
        registration_views.import_confirm,
        name="import_confirm",
    ),
    path(
        "form/import/<uuid:token>/options/",
        registration_views.import_options,
        name="import_options",
    ),
    path(
        "form/import/<uuid:token>/cancel/", registration_views.import_cancel, name="import_cancel"
    ),
    path("form/<int:department_pk>/xlsx/", registration_views.form_download, name="form_download"),
    path(
        "form/<int:department_pk>/pdf/",
        registration_views.form_download,
        {"file_format": "pdf"},
        name="form_pdf",
    ),
    path("form/<int:department_pk>/print/", registration_views.form_print, name="form_print"),
    path("form/register/", registration_views.register_export, name="register_export"),
    # The reviewer's command centre and the summary a school can publish.
    path("centre/", centre_views.command_centre, name="command_centre"),
    path("centre/remind/", centre_views.department_remind, name="department_remind"),
    path(
        "centre/remind-all/",
        centre_views.departments_remind_all,
        name="departments_remind_all",
    ),
    path(
        "centre/charts/<slug:key>/<slug:file_format>/",
        centre_views.chart_export,
        name="chart_export",
    ),
    path("summary/<int:pk>/", centre_views.summary, name="summary"),
    path(
        "summary/<int:pk>/<slug:file_format>/",
        centre_views.summary_download,
        name="summary_download",
    ),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
]
