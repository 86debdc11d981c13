"""Sign-in with an API key, then a signed session cookie that names the principal, not the key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi.responses import RedirectResponse
from sqlalchemy import Engine
from sqlmodel import Session

from settings import Settings
from store.principals import Principal
from store.tables import PrincipalRow

COOKIE = "linkage_session"
LIFETIME = 12 * 3600  # seconds: a working day


def secret_for(settings: Settings) -> bytes:
    """The configured secret (shared by every API replica), else one kept in the data folder, made
    on first use (the embedded default: one API)."""
    if settings.session_secret is not None:
        return hashlib.sha256(settings.session_secret.get_secret_value().encode()).digest()
    data_dir = settings.data_dir
    file = data_dir / "session-secret"
    if not file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        file.write_text(secrets.token_hex(32))
        file.chmod(0o600)
    return bytes.fromhex(file.read_text().strip())


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes, principal: Principal) -> str:
    payload = f"{principal.id}.{int(time.time()) + LIFETIME}"
    return f"{payload}.{_sign(secret, payload)}"


def principal_of(secret: bytes, engine: Engine, cookie: str | None) -> Principal | None:
    """The principal a cookie names, if the cookie is genuine, fresh, and the key not revoked."""
    if not cookie or cookie.count(".") != 2:
        return None
    ident, expires, signature = cookie.split(".")
    if not hmac.compare_digest(signature, _sign(secret, f"{ident}.{expires}")):
        return None
    if not (ident.isdigit() and expires.isdigit()) or int(expires) < time.time():
        return None
    with Session(engine) as session:
        row = session.get(PrincipalRow, int(ident))
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    return Principal(row.id, row.name, row.agency, row.role)


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on the same site as browsers judge it for cookies: the same scheme and
    the same registrable domain (approximated by the last two labels; an IP address is its own)."""
    first, second = urlsplit(a), urlsplit(b)
    return first.scheme == second.scheme and _site(first.hostname) == _site(second.hostname)


def _site(host: str | None) -> str:
    host = (host or "").lower()
    if not host or host.replace(".", "").isdigit() or ":" in host or "." not in host:
        return host
    return ".".join(host.split(".")[-2:])


def flash_signature(secret: bytes, case_id: str, flash: dict[str, str]) -> str:
    """What a form's outcome shown on a case page is signed with."""
    return _sign(secret, "\n".join([case_id, *(f"{k}={v}" for k, v in sorted(flash.items()))]))


def signed_flash(secret: bytes, key: str, sig: str | None, **flash: str | None) -> dict[str, Any]:
    """What a form's redirect says came of it (done, refused, message), if this dashboard signed it
    for this page's ``key``; all None otherwise: a link made elsewhere cannot put its own words on
    a real case's, report's or meeting's page."""
    given = {k: v for k, v in flash.items() if v}
    empty: dict[str, Any] = dict.fromkeys(flash)
    if not given or sig != flash_signature(secret, key, given):
        return empty
    return {**empty, **given}


def flashed(secret: bytes, path: str, key: str, **flash: str) -> RedirectResponse:
    """Back to a page (``path``, its ``key`` in the signature) with what came of the form, signed."""
    signed = {**flash, "sig": flash_signature(secret, key, flash)}
    return RedirectResponse(f"{path}?{urlencode(signed)}", status_code=303)
