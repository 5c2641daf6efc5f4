"""What the REST framework's settings name (kept apart from the views, which import the
framework's generic views: those read the settings as they are imported)."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# A service's refusals that say the record is not as the request thought: 409.
CONFLICTS = ("stale", "not_editable")


class Pages(PageNumberPagination):
    page_size = settings.NEWMEDIA_PAGE_SIZE


def exception_handler(exc, context):
    """Django's own refusals from the services, as the pages show them: a stale record is a
    409, any other refusal a 400 with its messages."""
    if isinstance(exc, DjangoValidationError):
        if getattr(exc, "code", None) in CONFLICTS:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
