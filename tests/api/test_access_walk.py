"""Issue 11: every route of the app, walked as an outsider and as each role.

The routes are read from the app itself (``app.routes``: every API route, those left out of the
schema, one per step, the dashboard's pages and forms, FastAPI's own documents), so a route added
later is walked too, and one this file cannot classify fails the walk. Each route is called by
nobody, by a bad key (or a forged session), and by every principal of ``PRINCIPALS`` (its API key on
the API, its signed-in session on the dashboard), on a case the caller may see, on one of another
region it may not see, on a case id that does not exist and on odd ids.

The one visibility rule: a case the caller may not see answers exactly as a case that does not exist
(the same status, headers and body, but for the id the caller typed), so neither a body, a redirect
nor a ``Location`` tells whether it exists, its stage or its agency. Without credentials the API
answers 401 naming Bearer, and the dashboard sends the caller to sign in. Nothing answers 500.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route

from api import deps
from api.routes import codec
from api.ui import case as case_pages
from api.ui import reports as report_pages
from api.ui import routes as ui
from api.ui import routines as routine_pages
from api.ui import work
from api.ui.session import COOKIE
from cases.steps import STEPS
from store.principals import create_key, revoke
from tests.api.conftest import PRINCIPALS, InProcess
from tests.api.helpers import intake_body
from tests.api.matrix import ON_A, sees_east

# Routes anyone may call: health, metrics, the API's documents, signing in and out, the language.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/logout"),
    ("GET", "/lang/{code}"),
    ("OPTIONS", "/codec/decode"),  # a CORS preflight: browsers send it without credentials
}
# API routes without a case id: each answers with what the key may see.
LISTINGS = {
    ("POST", "/cases"),
    ("GET", "/cases"),
    ("GET", "/cases/my-moves"),
    ("GET", "/clues"),
    ("POST", "/codec/decode"),
    # A mechanism's routines: meetings and bulletins by their own ids (a region's, never a case's),
    # answered within the key's region and part; the procuratorate's list.
    ("GET", "/meetings"),
    ("GET", "/meetings/{meeting_id}"),
    ("GET", "/meetings/{meeting_id}/papers/{format}"),
    ("POST", "/meetings/{meeting_id}/actions/record_decision"),
    ("POST", "/meetings/{meeting_id}/actions/close_meeting"),
    ("POST", "/meetings/{meeting_id}/actions/decision_done"),
    ("GET", "/bulletins"),
    ("GET", "/bulletins/{bulletin_id}"),
    ("GET", "/bulletins/{bulletin_id}/{format}"),
    # D4 §5's typical case and emergency: started in the key's own region (api.routes.event_bulletins).
    ("POST", "/event-bulletins/typical-case"),
    ("POST", "/event-bulletins/emergency"),
    ("POST", "/bulletins/{bulletin_id}/actions/issue"),
    ("GET", "/referral-watch"),
    # Public reports: by their own ids, answered within the key's scope (an agency's own, a region's,
    # all for a procurator); one not visible answers as one that does not exist.
    ("POST", "/reports"),
    ("GET", "/reports"),
    ("GET", "/reports/{report_id}"),
    ("GET", "/reports/{report_id}/reporter"),
    ("GET", "/reports/{report_id}/reporter-views"),
    ("POST", "/reports/{report_id}/actions/transfer"),
    ("POST", "/reports/{report_id}/actions/open_case"),
    ("POST", "/reports/{report_id}/actions/answer"),
    ("POST", "/reports/{report_id}/actions/decide_reward"),
    ("POST", "/reports/{report_id}/actions/{action}"),
}
# Dashboard pages without a case id.
PAGES = {("GET", "/"), ("GET", "/list"), ("GET", "/rules"), ("GET", "/inbox"), ("GET", "/mine")}
PAGES |= {  # the routine pages (a meeting's, a bulletin's file: by their own ids)
    ("GET", "/routines"),
    ("GET", "/routines/meeting/{meeting_id}"),
    ("POST", "/routines/meeting/{meeting_id}/act/{action}"),
    ("GET", "/routines/meeting/{meeting_id}/papers/{format}"),
    ("GET", "/routines/bulletin/{bulletin_id}/{format}"),
    ("POST", "/routines/watch/mark"),
    ("POST", "/routines/typical-case"),  # D4 §5's two, by the API's own routes
    ("POST", "/routines/emergency"),
    ("POST", "/routines/bulletin/{bulletin_id}/issue"),
}
PAGES |= {  # the report pages (a report's own id)
    ("GET", "/report-list"),
    ("GET", "/report/{report_id}"),
    ("POST", "/report/{report_id}/act/{action}"),
    ("POST", "/report/{report_id}/reporter"),
}
# Static files anyone may fetch: Swagger UI's own assets for /docs (no case data; the files of a
# package, served by Starlette's StaticFiles, which refuses a path outside its folder).
STATIC = {"/docs/assets"}
# Routes that take a case id without the visibility dependency, and why they answer the same for a
# case the caller may not see as for none.
SAME_FOR_EVERY_ID = {
    ("GET", "/cases/{case_id}/clues"): "lists only the clues the key sent or its agency received, "
    "by case id: the same empty list for a case without them, seen or not",
    ("POST", "/cases/{case_id}/actions/{action}"): "a name that is no step: the same 404 listing "
    "the steps, whatever the id",
    ("POST", "/referral-watch/{case_id}/mark"): "the procuratorate's list, not the case: a case "
    "not on a list the caller may mark is the same 404 not_listed, whatever the id",
}
# The modules of the dashboard's pages (signed in by session, not by key).
DASHBOARD = {
    ui.__name__,
    case_pages.__name__,
    work.__name__,
    routine_pages.__name__,
    report_pages.__name__,
}
# The other parameters a path may take, filled in.
FILL = {
    "action": "classify",
    "code": "en",
    "meeting_id": "routine.env-police.demo-county.joint_meeting.2099-Q1",  # none such
    "bulletin_id": "routine.env-police.demo-county.weekly_report.2099-W01",
    "format": "pdf",
    "report_id": "EPB-DEMO.no-such-report",
}
FILL_API = {"action": "teleport"}  # the API's route of unknown actions
# Ids no case has: a dot-dot, a very long one, one with non-ASCII letters, a trailing newline, an
# encoded slash.
ODD_IDS = [
    "%2E%2E",
    "EPB-DEMO." + "x" * 2000,
    quote("EPB-DEMO.案件-ünïcødé"),
    "EPB-DEMO.x%0A",
    "EPB-DEMO.a%2Fb",
]
# A clue to the court: read and refused after the case is found (no clue is kept or sent).
CLUE = {"to": "COURT-DEMO", "conduct": ["shielding"], "account": "访问遍历"}
UNIQUE = f"访问遍历-{uuid.uuid4().hex[:8]}"  # in both cases' subjects: what a listing is asked for
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


@dataclass(frozen=True)
class Walked:
    """One route and method, classified."""

    method: str
    path: str
    dashboard: bool
    kind: str  # public, listing, page or case
    gated: bool  # a case route behind the visibility dependency


@dataclass(frozen=True)
class Caller:
    name: str
    agency: str | None = None
    role: str | None = None
    key: str | None = None
    session: str | None = None


@dataclass(frozen=True)
class Call:
    walked: Walked
    caller: Caller
    target: str  # visible, hidden, missing, odd<n> or "" for a route without a case id
    case_id: str  # as typed in the path
    response: httpx.Response


def calls_of(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from calls_of(sub)


def routes_of(app: FastAPI) -> list[BaseRoute]:
    """The app's routes as requests reach them (FastAPI 0.16x keeps an included router as one entry
    of ``app.routes``: its routes are read through it)."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # an older FastAPI: included routes are copied into app.routes
        return list(app.routes)
    found: list[BaseRoute] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if getattr(route, "path", None) != context.path:
            raise AssertionError(f"{route!r} is reached at {context.path}: walk that path")
        found.append(route)
    return found


def classify(app: FastAPI) -> tuple[list[Walked], list[str]]:
    """Every route and method of the app, and what could not be classified."""
    walked: list[Walked] = []
    problems: list[str] = []
    for route in routes_of(app):
        if isinstance(route, Mount) and route.path in STATIC:
            continue
        if not isinstance(route, Route):
            problems.append(f"{route!r} is neither an API route nor a page")
            continue
        dashboard = isinstance(route, APIRoute) and route.endpoint.__module__ in DASHBOARD
        calls = set(calls_of(route.dependant)) if isinstance(route, APIRoute) else set()
        for method in sorted((route.methods or set()) - {"HEAD"}):
            key = (method, route.path)
            if key in PUBLIC:
                walked.append(Walked(method, route.path, dashboard, "public", False))
                continue
            # Every other route knows its caller: the API by key, the dashboard by session.
            # (The Web UI's codec endpoint takes a key, or the dashboard's session in its stead.)
            knows = {ui.signed_in} if dashboard else {deps.current_principal, codec.caller}
            if not knows & calls:
                problems.append(f"{method} {route.path} does not authenticate its caller")
            if "{case_id}" in route.path:
                gate = ui.seen_case if dashboard else deps.visible_case
                gated = gate in calls
                if not gated and key not in SAME_FOR_EVERY_ID:
                    problems.append(
                        f"{method} {route.path} takes a case id without {gate.__name__}"
                    )
                walked.append(Walked(method, route.path, dashboard, "case", gated))
            elif key in LISTINGS and not dashboard:
                walked.append(Walked(method, route.path, dashboard, "listing", False))
            elif key in PAGES and dashboard:
                walked.append(Walked(method, route.path, dashboard, "page", False))
            else:
                problems.append(f"{method} {route.path} is not classified: add it to this walk")
            unknown = set(re.findall(r"{(\w+)}", route.path)) - {"case_id", *FILL}
            if unknown:
                problems.append(f"{method} {route.path}: no value to fill {unknown} with")
    return walked, problems


def test_every_route_is_classified_and_guarded(stack: InProcess) -> None:
    """Structurally: every route but the public ones knows its caller, and every route that takes a
    case id goes through the one visibility rule (the API's ``visible_case``; the dashboard's
    ``seen_case``, which asks the same ``find_visible``), or says why it answers alike for any id."""
    walked, problems = classify(stack.app)
    assert not problems, "\n".join(problems)
    assert "find_visible" in ui.seen_case.__code__.co_names
    assert "find_visible" in deps.visible_case.__code__.co_names
    paths = {w.path for w in walked}
    assert {f"/cases/{{case_id}}/actions/{name}" for name in STEPS} <= paths  # one per step
    assert {"/case/{case_id}", "/case/{case_id}/act/{action}", "/case/{case_id}/evidence"} <= paths


@dataclass(frozen=True)
class Cases:
    a: str  # of the demo county (EPB-DEMO)
    b: str  # of the east county (EPB-EAST)
    subject_a: str
    subject_b: str


@pytest.fixture(scope="module")
async def walk_cases(stack: InProcess) -> Cases:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
        ids = []
        for agency, subject in (("EPB-DEMO", f"{UNIQUE}-A"), ("EPB-EAST", f"{UNIQUE}-B")):
            body = intake_body(subject=subject, discovering_agency=agency)
            opened = await client.post("/cases", json=body, headers=stack.auth(agency, "intake"))
            assert opened.status_code == 201, opened.text
            ids.append(opened.json()["case_id"])
    return Cases(ids[0], ids[1], f"{UNIQUE}-A", f"{UNIQUE}-B")


def sees(caller: Caller, cases: Cases) -> set[str]:
    """The cases a principal may see, from the access matrix (not from the rule under test)."""
    if caller.agency is None or caller.role is None:
        return set()
    seen = set()
    if ON_A[(caller.agency, caller.role)][0] == 200:
        seen.add(cases.a)
    if sees_east(caller.agency, caller.role):
        seen.add(cases.b)
    return seen


def like(case_id: str) -> str:
    """An id no case has, of the same length and agency as ``case_id``."""
    agency, ref = case_id.split(".", 1)
    return f"{agency}.{('N' + uuid.uuid4().hex * 3)[: len(ref)]}"


def targets(caller: Caller, cases: Cases) -> dict[str, str]:
    seen = sees(caller, cases)
    visible = next((c for c in (cases.a, cases.b) if c in seen), None)
    hidden = next((c for c in (cases.b, cases.a) if c not in seen), None)
    chosen = {f"odd{i}": odd for i, odd in enumerate(ODD_IDS)}
    if caller.key is None:  # nobody: every id is answered alike, the existing ones too
        visible, hidden = cases.a, cases.b
    if visible is not None:
        chosen["visible"] = visible
    if hidden is not None:
        chosen["hidden"] = hidden
    chosen["missing"] = like(hidden or cases.a)
    return chosen


def request_args(walked: Walked, caller: Caller) -> dict[str, Any]:
    """The smallest request each route takes: no body, or one its form or type needs."""
    headers: dict[str, str] = {}
    if walked.dashboard and caller.session is not None:
        headers["Cookie"] = f"{COOKIE}={caller.session}"
    if not walked.dashboard and caller.key is not None:
        headers["Authorization"] = f"Bearer {caller.key}"
    args: dict[str, Any] = {"headers": headers}
    if walked.method != "POST":
        return args
    path = walked.path
    if path.endswith("/evidence"):
        args["data"] = {"kind": "complaint", "title": "访问遍历"}
        args["files"] = {"file": ("walk.txt", f"walk {caller.name}".encode())}
    elif path.endswith("/clues"):
        args["json"] = CLUE
    elif path == "/case/{case_id}/act/{action}":
        args["data"] = {"classification": "crime", "reasons": "访问遍历"}
    elif path == "/login":
        args["data"] = {"key": caller.key or "lk_00000000_not-a-key", "next": "/list"}
    elif path == "/cases":
        args["json"] = {}
    elif path == "/codec/decode":
        args["json"] = {"payloads": []}
    return args


def url_of(walked: Walked, case_id: str, query: str = "") -> str:
    fill = {**FILL, **({} if walked.dashboard else FILL_API), "case_id": case_id}
    url = re.sub(r"{(\w+)}", lambda m: fill[m.group(1)], walked.path)
    return f"{url}?{query}" if query else url


def normal(response: httpx.Response, case_id: str) -> tuple[int, dict[str, str], str]:
    """A response as compared between two ids: the typed id and the minute of the page set aside."""

    def plain(text: str) -> str:
        return TIME.sub("{time}", text.replace(case_id, "{id}"))

    headers = {k: plain(v) for k, v in response.headers.items() if k != "content-length"}
    return response.status_code, headers, plain(response.text)


async def sign_in(client: httpx.AsyncClient, key: str) -> str:
    response = await client.post("/login", data={"key": key, "next": "/"})
    assert response.status_code == 303, response.text
    session = re.match(rf"{COOKIE}=([^;]+)", response.headers.get("set-cookie", ""))
    assert session, response.headers
    return session.group(1)


def is_error(response: httpx.Response, code: str | None = None) -> bool:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return False
    body = response.json()
    shaped = isinstance(body, dict) and set(body) == {"code", "reason", "fix", "details"}
    return shaped and (code is None or body["code"] == code)


def is_missing_page(response: httpx.Response) -> bool:
    return (
        response.status_code == 404
        and response.headers.get("content-type", "").startswith("text/html")
        and "location" not in response.headers
    )


def to_sign_in(response: httpx.Response) -> bool:
    """A redirect to sign in, coming back to the page asked for."""
    asked = response.request.url
    back = unquote(asked.path) + (f"?{asked.query.decode()}" if asked.query else "")
    parts = urlsplit(response.headers.get("location", ""))
    nexts = parse_qs(parts.query).get("next", [])
    return (
        response.status_code == 303
        and parts.path == "/login"
        and nexts == [re.sub(r"[\t\r\n]", "", back)]  # as urlsplit reads a path
    )


def check(call: Call, problems: list[str]) -> None:
    """What one answer must be, whatever else it is."""
    walked, caller, response = call.walked, call.caller, call.response

    def fail(why: str) -> None:
        problems.append(
            f"{walked.method} {url_of(walked, call.case_id)[:120]} as {caller.name} "
            f"({call.target or '-'}): {why}: {response.status_code} {response.text[:160]!r}"
        )

    if response.status_code >= 500:
        return fail("a server error")
    if walked.kind == "public":
        return None
    anonymous = caller.key is None
    if anonymous and not call.target.startswith("odd"):
        if walked.dashboard and not to_sign_in(response):
            return fail("a page without a session must send the caller to sign in")
        if not walked.dashboard and not (
            response.status_code == 401
            and response.headers.get("www-authenticate") == "Bearer"
            and is_error(response, "unauthorized")
        ):
            return fail("a call without a valid key must be a 401 naming Bearer")
        return None
    location = response.headers.get("location", "")
    if location and not location.startswith(("/login?", "/case/", "/routines")):
        return fail(f"a redirect elsewhere: {location}")
    if not walked.dashboard and response.status_code >= 400 and not is_error(response):
        return fail("an error not in the one error shape")
    if walked.kind != "case":
        return None
    if call.target == "visible":
        if walked.dashboard:
            expected = 200 if walked.method == "GET" else 303
            back = f"/case/{quote(call.case_id)}?"
            if response.status_code != expected or (expected == 303 and back not in location):
                return fail(f"a visible case must answer {expected} (and back to its page)")
        elif response.status_code == 401 or is_error(response, "case_not_found"):
            return fail("a visible case must not be hidden")
    elif call.target in ("hidden", "missing") and walked.gated:
        if walked.dashboard and not is_missing_page(response):
            return fail("a case not seen must be the missing page")
        if not walked.dashboard and not (
            response.status_code == 404 and is_error(response, "case_not_found")
        ):
            return fail("a case not seen must be 404 case_not_found")
    elif call.target.startswith("odd"):
        if response.status_code in (200, 201) and walked.gated:
            return fail("an odd id must never be a case")
        if walked.dashboard and not (
            is_missing_page(response) or response.status_code in (404, 422) or to_sign_in(response)
        ):
            return fail("an odd id must be the missing page")
    return None


async def test_every_route_as_every_caller(
    stack: InProcess, walk_cases: Cases, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each route as each caller on each kind of id; every answer checked, then the answers for a
    case not seen compared with those for a case that does not exist."""
    walked, problems = classify(stack.app)
    assert not problems, "\n".join(problems)
    transport = httpx.ASGITransport(app=stack.app)
    # No cookie jar: each request carries only the session its caller has.
    no_jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", timeout=60, cookies=no_jar
    ) as client:
        # A key revoked after its holder signed in: neither the key nor the session still works.
        _, revoked_key = create_key(stack.engine, name="revoked", agency="EPB-DEMO", role="officer")
        revoked_session = await sign_in(client, revoked_key)
        assert revoke(stack.engine, revoked_key.split("_")[1])
        callers = [
            Caller("nobody"),
            Caller("a bad key", key=None, session="1.9999999999." + "0" * 64),
            Caller("a revoked key", key=None, session=revoked_session),
        ]
        for agency, role in PRINCIPALS:
            key = stack.key(agency, role)
            callers.append(
                Caller(f"{agency}/{role}", agency, role, key, await sign_in(client, key))
            )
        bad_keys = {"a bad key": "lk_00000000_" + "x" * 43, "a revoked key": revoked_key}

        def args_for(walked: Walked, caller: Caller) -> dict[str, Any]:
            args = request_args(walked, caller)
            if caller.name in bad_keys and not walked.dashboard:
                args["headers"]["Authorization"] = f"Bearer {bad_keys[caller.name]}"
            return args

        plan: list[tuple[Walked, Caller, str, str, str]] = []
        for w in walked:
            for caller in callers:
                if w.kind == "case":
                    for target, case_id in targets(caller, walk_cases).items():
                        plan.append((w, caller, target, case_id, ""))
                else:
                    plan.append((w, caller, "", "", ""))
                    if w.method == "GET" and w.kind in ("listing", "page"):
                        plan.append((w, caller, "", "", f"q={quote(UNIQUE)}"))

        gate = asyncio.Semaphore(8)

        async def one(w: Walked, caller: Caller, target: str, case_id: str, query: str) -> Call:
            async with gate:
                response = await client.request(
                    w.method, url_of(w, case_id, query), **args_for(w, caller)
                )
            return Call(w, caller, target, case_id, response)

        calls = await asyncio.gather(*(one(*p) for p in plan))

    failures: list[str] = []
    for call in calls:
        check(call, failures)
    # A case not seen answers exactly as one that does not exist, to the same caller (to nobody,
    # no case is seen).
    by: dict[tuple[str, str, str, str], Call] = {
        (c.walked.method, c.walked.path, c.caller.name, c.target): c for c in calls
    }
    for (method, path, name, target), hidden in by.items():
        if not (target == "hidden" or (target == "visible" and hidden.caller.key is None)):
            continue
        missing = by[(method, path, name, "missing")]
        if normal(hidden.response, hidden.case_id) != normal(missing.response, missing.case_id):
            failures.append(
                f"{method} {path} as {name}: a case not seen answers "
                f"{hidden.response.status_code} {hidden.response.text[:200]!r}, one that does not "
                f"exist {missing.response.status_code} {missing.response.text[:200]!r}"
            )
    # No answer to a caller names a case it may not see (listings asked for both by their subject).
    subjects = {walk_cases.a: walk_cases.subject_a, walk_cases.b: walk_cases.subject_b}
    for call in calls:
        seen = sees(call.caller, walk_cases)
        for case_id, subject in subjects.items():
            if case_id not in seen and subject in call.response.text:
                failures.append(
                    f"{call.walked.method} {call.walked.path} as {call.caller.name} names "
                    f"{case_id}, which it may not see"
                )
        if (call.walked.method, call.walked.path) == ("GET", "/cases") and call.caller.key:
            listed = {item["case_id"] for item in call.response.json()["items"]} & set(subjects)
            asked = call.response.request.url.params.get("q") == UNIQUE
            if not (listed == seen if asked else listed <= seen):
                failures.append(f"GET /cases as {call.caller.name} lists {listed}, sees {seen}")
        if (call.walked.method, call.walked.path) == ("GET", "/cases/my-moves") and call.caller.key:
            waiting = {item["case_id"] for item in call.response.json()["items"]} & set(subjects)
            if not waiting <= seen:
                failures.append(f"my moves of {call.caller.name} list {waiting}, sees {seen}")

    statuses = Counter(c.response.status_code for c in calls)
    with capsys.disabled():
        print(
            f"\naccess walk: {len(walked)} routes ({sum(w.dashboard for w in walked)} of the "
            f"dashboard) × {len(callers)} callers, "
            f"{len(calls)} requests; statuses "
            + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        )
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
