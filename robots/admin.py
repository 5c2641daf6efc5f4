import uuid

from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from newmedia.admins import ReadOnlyAdmin
from newmedia.requests import site_url

from .forms import RobotAdminForm
from .models import Robot, RobotMessage
from .services import robot_message, robots_post

TEST_SUBJECT = _("Test message from the new-media registry")
TEST_TEXT = _("This group will get the registry's reminders, returns, results and escalations.")


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotAdminForm
    list_display = ["name", "platform", "group", "is_active", "status", "last_sent_at"]
    list_filter = ["platform", "is_active"]
    list_select_related = ["department"]
    search_fields = ["name", "department__name"]
    autocomplete_fields = ["department"]
    readonly_fields = ["webhook_masked", "last_sent_at", "failing_since", "last_error"]
    actions = ["send_test"]

    @admin.display(description=_("chat group"), ordering="department__code")
    def group(self, obj):
        return obj.department.name if obj.department_id else _("The reviewers' group")

    @admin.display(description=_("status"))
    def status(self, obj):
        if obj.failing_since is None:
            return _("Sending normally")
        return _("Failing: %(error)s") % {"error": obj.last_error}

    @admin.display(description=_("webhook address"))
    def webhook_masked(self, obj):
        return obj.webhook_masked

    @admin.action(description=_("Send a test message"))
    def send_test(self, request, queryset):
        link = site_url() + reverse("approvals:dashboard")
        with transaction.atomic():
            event = f"test:{uuid.uuid4().hex}"
            sent = robots_post(
                robot_message(
                    robot=robot,
                    event=event,
                    subject=str(TEST_SUBJECT),
                    text=str(TEST_TEXT),
                    link=link,
                )
                for robot in queryset.filter(is_active=True)
            )
        self.message_user(
            request,
            ngettext(
                "A test message was queued for %(count)d robot.",
                "Test messages were queued for %(count)d robots.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )


@admin.register(RobotMessage)
class RobotMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "title", "robot", "sent_at", "attempts", "error"]
    list_filter = ["robot", "sent_at"]
    list_select_related = ["robot"]
    list_per_page = 50
    search_fields = ["title", "event"]
