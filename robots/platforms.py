"""The two group-robot platforms, declared once: where their webhooks live, how a message is
posted and signed, and which answers mean "too fast, try later".

WeCom (企业微信): https://developer.work.weixin.qq.com/document/path/91770 — the key in the URL
is the secret; errcode 45009 is the rate limit (20 messages a minute per robot).
DingTalk (钉钉): https://open.dingtalk.com/document/robots/custom-robot-access — with 加签, the
URL carries ``timestamp`` (milliseconds) and ``sign``, the Base64 of HMAC-SHA256 over
"timestamp\\nsecret" keyed by the secret, URL-encoded; errcode 130101 is the rate limit.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs, quote_plus, urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformName(models.TextChoices):
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")


@dataclass(frozen=True)
class Platform:
    name: str
    host: str  # the only host a webhook may point at, over https (NEWMEDIA_ROBOT_EXTRA_ORIGINS)
    path: str
    token_parameter: str  # the query parameter that carries the robot's key
    rate_limited: frozenset[int]  # errcodes that mean "too many messages, try later"
    signed: bool  # whether the robot has a 加签 secret

    def payload(self, *, title: str, text: str) -> dict:
        if self.name == PlatformName.DINGTALK:
            return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        return {"msgtype": "markdown", "markdown": {"content": text}}

    def url_to_post(self, url: str, *, secret: str, now_ms: int) -> str:
        """The webhook with this moment's signature, when the platform signs."""
        if not (self.signed and secret):
            return url
        return f"{url}&timestamp={now_ms}&sign={quote_plus(sign(secret, now_ms))}"


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: Base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


PLATFORMS = {
    PlatformName.WECOM: Platform(
        name=PlatformName.WECOM,
        host="qyapi.weixin.qq.com",
        path="/cgi-bin/webhook/send",
        token_parameter="key",
        rate_limited=frozenset({45009}),
        signed=False,
    ),
    PlatformName.DINGTALK: Platform(
        name=PlatformName.DINGTALK,
        host="oapi.dingtalk.com",
        path="/robot/send",
        token_parameter="access_token",
        rate_limited=frozenset({130101}),
        signed=True,
    ),
}

URL_REFUSED = _(
    "Only the platform's own webhook address is accepted: %(example)s followed by the robot's "
    "key. Copy it from the group's robot settings."
)


def url_problem(platform: Platform, url: str) -> str | None:
    """Why a webhook URL is refused (no server-side request forgery), or None.

    By default only https on the platform's host and path, with the key; the origins in
    NEWMEDIA_ROBOT_EXTRA_ORIGINS (tests, a proxy of one's own) are accepted as well."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    official = parts.scheme == "https" and parts.netloc.lower() == platform.host
    extra = origin in {o.rstrip("/").lower() for o in settings.NEWMEDIA_ROBOT_EXTRA_ORIGINS}
    token = parse_qs(parts.query).get(platform.token_parameter, [""])[0]
    if not (official or extra) or parts.path != platform.path or not token or parts.fragment:
        return str(URL_REFUSED % {"example": f"https://{platform.host}{platform.path}"})
    return None


def masked(url: str) -> str:
    """The webhook as the admin shows it back: the address and the key's first four characters."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for platform in PLATFORMS.values():
        token = query.get(platform.token_parameter, [""])[0]
        if token:
            return f"{parts.scheme}://{parts.netloc}{parts.path}?{platform.token_parameter}={token[:4]}…"
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else ""
