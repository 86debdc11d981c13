"""Body size limits, in the API's error shape, enforced while the body streams in: a missing or lying
Content-Length is no way around them."""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_LIMIT = 256 * 1024  # intake and actions: generous for text, small for a mistake
UPLOAD_LIMIT = 20 * 1024 * 1024  # an evidence file
CODEC_LIMIT = 8 * 1024 * 1024  # the Web UI's payloads to decode (a page of a long history)
FIX = "send a smaller body: evidence files up to 20 MB (or a reference by URL), other bodies up to 256 KB"


class TooLarge(HTTPException):
    """Raised from inside the body stream. A FastAPI HTTPException, so that FastAPI passes it on to
    the error handlers instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = JSON_LIMIT
        if scope["path"].endswith("/evidence"):
            limit = UPLOAD_LIMIT
        elif scope["path"].startswith("/codec/"):
            limit = CODEC_LIMIT
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        await self.app(scope, counted, send)


async def _reject(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "code": "payload_too_large",
            "reason": f"the body is larger than {limit} bytes",
            "fix": FIX,
            "details": {"limit": limit},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
