"""The client's real address, behind a known number of reverse proxies and no more."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the address the outermost trusted proxy saw when there are proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so with N
    trusted proxies the client is the N-th entry from the right. Anything further left was
    written by the client and is ignored: a forged header cannot choose its address.
    """
    proxies = settings.NEWMEDIA_TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR") or None
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote  # not through the expected chain of proxies: trust only the socket
    return forwarded[-proxies]
