"""Requests larger than the site accepts are refused before anything reads their body."""

from django.conf import settings
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

REQUEST_TOO_LARGE = _("The request is too large: the site accepts at most %(limit)s.")


class RequestSizeLimitMiddleware:
    """Answers 413 to a body declared larger than NEWMEDIA_MAX_REQUEST_BYTES.

    Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk
    whatever their size; the services check each file's own limit only after that. The reverse
    proxy enforces the same limit on bodies sent without a length (docs/architecture.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads a malformed length as no body at all
        limit = settings.NEWMEDIA_MAX_REQUEST_BYTES
        if length > limit:
            return HttpResponse(
                REQUEST_TOO_LARGE % {"limit": filesizeformat(limit)},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class PrivatePagesMiddleware:
    """A page answered to a signed-in user is theirs alone (it may show whole phone numbers):
    ``Cache-Control: private, no-store``, so that neither a shared proxy nor the browser's cache
    keeps it. Responses that say otherwise themselves keep what they say."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
