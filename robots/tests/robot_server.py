"""A local stand-in for the two platforms' group-robot webhooks, checking what they check.

WeCom (https://developer.work.weixin.qq.com/document/path/91770): POST JSON to
/cgi-bin/webhook/send?key=KEY; a wrong key is errcode 93000.
DingTalk (https://open.dingtalk.com/document/robots/customize-robot-security-settings): POST
JSON to /robot/send?access_token=TOKEN&timestamp=MS&sign=SIGN, where SIGN is the Base64 of
HMAC-SHA256 keyed by the secret over "MS\\nsecret", URL-encoded, and MS within an hour of now; a
wrong signature is errcode 310000.
Both allow 20 messages a minute per robot: the 21st is errcode 45009 (WeCom) or 130101
(DingTalk). The signature is computed here on its own, from the documentation, not with the
code under test.

``answers`` scripts the next answers (an HTTP status, or an errcode); ``received`` keeps what
was accepted, ``refused`` what was not and why.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "wecom-key-0123456789abcdef"
DINGTALK_TOKEN = "dingtalk-token-0123456789abcdef"
DINGTALK_SECRET = "SEC0123456789abcdef0123456789abcdef"
RATE = {"wecom": 45009, "dingtalk": 130101}


class RobotServer:
    def __init__(self):
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.answers: deque = deque()  # ("http", 500) or ("errcode", 45009)
        self.posted_at: dict[str, list[float]] = {"wecom": [], "dingtalk": []}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def wecom_url(self) -> str:
        return f"{self.origin}/cgi-bin/webhook/send?key={WECOM_KEY}"

    @property
    def dingtalk_url(self) -> str:
        return f"{self.origin}/robot/send?access_token={DINGTALK_TOKEN}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def texts(self, platform: str) -> list[str]:
        key = "content" if platform == "wecom" else "text"
        return [m["markdown"][key] for m in self.received if m["platform"] == platform]

    def answer(self, platform: str, query: dict, payload) -> tuple[int, dict]:
        """What the platform would answer this post: (HTTP status, JSON)."""
        if platform == "wecom":
            if query.get("key") != [WECOM_KEY]:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        else:
            if query.get("access_token") != [DINGTALK_TOKEN]:
                return 200, {"errcode": 300001, "errmsg": "token is not exist"}
            timestamp = query.get("timestamp", [""])[0]
            expected = base64.b64encode(
                hmac.new(
                    DINGTALK_SECRET.encode("utf-8"),
                    f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                    digestmod=hashlib.sha256,
                ).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600_000
            if not fresh or query.get("sign") != [expected]:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        markdown = payload.get("markdown", {}) if isinstance(payload, dict) else {}
        fields = ("content",) if platform == "wecom" else ("title", "text")
        if payload.get("msgtype") != "markdown" or not all(markdown.get(f) for f in fields):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        now = time.monotonic()
        recent = [t for t in self.posted_at[platform] if now - t < 60]
        if len(recent) >= 20:
            return 200, {"errcode": RATE[platform], "errmsg": "send too fast"}
        self.posted_at[platform] = [*recent, now]
        if self.answers:
            kind, value = self.answers.popleft()
            if kind == "http":
                return value, {"errcode": -1, "errmsg": "system error"}
            return 200, {"errcode": value, "errmsg": "scripted"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urlsplit(self.path)
                platform = {"/cgi-bin/webhook/send": "wecom", "/robot/send": "dingtalk"}.get(
                    parts.path
                )
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length).decode("utf-8"))
                except ValueError:
                    payload = None
                with server._lock:
                    if platform is None or not isinstance(payload, dict):
                        status, answer = 404, {"errcode": 404, "errmsg": "not found"}
                    else:
                        status, answer = server.answer(platform, parse_qs(parts.query), payload)
                    if status == 200 and answer["errcode"] == 0:
                        server.received.append({"platform": platform, **payload})
                    else:
                        server.refused.append(f"{platform} {status} {answer['errcode']}")
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler
