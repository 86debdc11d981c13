"""``api/ui/routes.py``: the dashboard's routes without a browser, in process. Every page and form
goes through the same visibility and the same steps as the API. (The pages in a real browser are in
``tests/browser``.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from cases.ids import workflow_id
from store.principals import create_key
from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, detail, open_case


@pytest.fixture
async def browser_like(stack: InProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies and does not follow redirects, as a test of each answer."""
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api", timeout=60) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, stack: InProcess, agency: str, role: str) -> None:
    response = await client.post("/login", data={"key": stack.key(agency, role), "next": "/"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_pages_need_a_session(browser_like: httpx.AsyncClient) -> None:
    for path in ("/", "/list", "/inbox", "/case/EPB-DEMO.x"):
        response = await browser_like.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


async def test_a_coordinator_sees_the_pages_and_a_cases_buttons(
    api: httpx.AsyncClient, browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack, subject="看板测试企业")
    await sign_in(browser_like, stack, "JLO-DEMO", "coordinator")
    for path in ("/", "/list", "/inbox"):
        assert (await browser_like.get(path)).status_code == 200, path
    page = await browser_like.get(f"/case/{case_id}")
    assert page.status_code == 200
    assert "看板测试企业" in page.text
    forms = set(re.findall(r'data-action="([a-z_]+)"', page.text))
    # What the case allows a coordinator, as buttons (a key linkage case: consultation already).
    assert forms == {"supervise_case", "direct", "convene_consultation", "link_case"}
    assert 'type="date" id="supervise_case-decided_on"' in page.text  # N2017 Art. 34
    link = f"{stack.settings.temporal_ui_url}/namespaces/default/workflows/{workflow_id(case_id)}"
    assert link in page.text


async def test_an_officer_takes_a_step_with_a_form(
    api: httpx.AsyncClient, browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    await sign_in(browser_like, stack, *OFFICER)
    page = await browser_like.get(f"/case/{case_id}")
    assert 'data-action="classify"' in page.text
    # The triage as the case computed it: J2023 Art. 1(三) and (五) met for 总铬 through a pipe.
    assert re.search(r'data-crime="j2023_1_3"><th>1\(三\)</th><td class="late">✔', page.text)
    assert re.search(r'data-crime="j2023_1_2"><th>1\(二\)</th><td class="">✘', page.text)
    assert 'data-action="update_facts"' not in page.text  # nested facts: the API serves it
    done = await browser_like.post(
        f"/case/{case_id}/act/classify", data={"classification": "crime", "reasons": "暗管排放"}
    )
    assert done.status_code == 303
    assert "done=classify" in done.headers["location"]
    assert (await detail(api, stack, case_id))["summary"]["stage"] == "evidence"
    refused = await browser_like.post(f"/case/{case_id}/act/request_approval", data={})
    assert "refused=package_incomplete" in refused.headers["location"]
    invalid = await browser_like.post(
        f"/case/{case_id}/act/handle_administratively", data={"reasons": "  "}
    )
    assert "refused=invalid_input" in invalid.headers["location"]
    unknown = await browser_like.post(f"/case/{case_id}/act/teleport", data={})
    assert "refused=unknown_action" in unknown.headers["location"]


async def test_an_outsider_learns_nothing_from_the_forms(
    api: httpx.AsyncClient, browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    """Another county's officer, signed in, gets the same 'not found' for a case that exists as for
    one that does not, from every dashboard route (the API's visibility rule)."""
    case_id = await open_case(api, stack)
    await sign_in(browser_like, stack, "EPB-EAST", "officer")
    for existing in (case_id, "EPB-DEMO.does-not-exist"):
        page = await browser_like.get(f"/case/{existing}")
        acted = await browser_like.post(
            f"/case/{existing}/act/classify", data={"classification": "crime", "reasons": "x"}
        )
        uploaded = await browser_like.post(
            f"/case/{existing}/evidence",
            data={"kind": "complaint", "title": "x"},
            files={"file": ("a.txt", b"a")},
        )
        for response in (page, acted, uploaded):
            assert response.status_code == 404, (existing, response.status_code)
            assert "location" not in response.headers
    assert not (stack.data_dir / "evidence" / case_id).exists()


async def test_an_officer_uploads_evidence_from_the_case_page(
    api: httpx.AsyncClient, browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    await sign_in(browser_like, stack, *OFFICER)
    done = await browser_like.post(
        f"/case/{case_id}/evidence",
        data={"kind": "sampling_records", "title": "采样记录"},
        files={"file": ("s.txt", b"COD 420 mg/L")},
    )
    assert "done=record_evidence" in done.headers["location"]
    refused = await browser_like.post(
        f"/case/{case_id}/evidence",
        data={"kind": "rumour", "title": "x"},
        files={"file": ("r.txt", b"rumour")},
    )
    assert "refused=invalid_input" in refused.headers["location"]
    state = (await detail(api, stack, case_id))["state"]
    assert [e["kind"] for e in state["evidence"]] == ["sampling_records"]


async def test_the_clock_rules_of_every_mechanism(
    browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    await sign_in(browser_like, stack, "JLO-DEMO", "coordinator")
    page = await browser_like.get("/rules")
    assert page.status_code == 200
    for mechanism in ("env-police", "national-2017", "urban-police", "township-county"):
        assert f'id="rules-{mechanism}"' in page.text
    assert "O310 第5条第2款" in page.text  # Chinese by default; English: test_i18n.py


async def test_the_session_cookie_is_secure_over_https(stack: InProcess) -> None:
    transport = httpx.ASGITransport(app=stack.app)
    for scheme, secure in (("https", True), ("http", False)):
        async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://dash") as client:
            response = await client.post(
                "/login", data={"key": stack.key("EPB-DEMO", "officer"), "next": "/"}
            )
            assert response.status_code == 303
            cookie = response.headers["set-cookie"].lower()
            assert ("; secure" in cookie) is secure, (scheme, cookie)
            assert "httponly" in cookie


OFF_SITE = [
    "//evil.example/x",
    "/\\evil.example/x",
    "/\t/evil.example/x",
    "https://evil.example",
    "x",
]


async def test_redirects_stay_on_the_site(
    browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    """After signing in or switching language the dashboard goes only to one of its own paths: a
    browser reads ``/\\host`` and ``/<tab>/host`` as ``//host``, another site."""
    for target in OFF_SITE:
        switched = await browser_like.get("/lang/en", params={"next": target})
        assert switched.headers["location"] == "/", target
        signed = await browser_like.post(
            "/login", data={"key": stack.key(*OFFICER), "next": target}
        )
        assert signed.headers["location"] == "/", target
        failed = await browser_like.post("/login", data={"key": "lk_x", "next": target})
        assert failed.headers["location"] == "/login?next=%2F&failed=true", target
        page = await browser_like.get("/login", params={"next": target})
        assert 'name="next" value="/"' in page.text, target
    kept = await browser_like.get("/lang/zh", params={"next": "/list?stage=evidence"})
    assert kept.headers["location"] == "/list?stage=evidence"


async def test_what_one_person_may_store_is_capped_on_the_dashboard_too(
    api: httpx.AsyncClient, browser_like: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    _, key = create_key(stack.engine, name="新执法", agency="EPB-DEMO", role="officer")
    await browser_like.post("/login", data={"key": key, "next": "/"})
    kept = []
    for content in (b"a" * 40_000, b"b" * 40_000):
        kept.append(
            await browser_like.post(
                f"/case/{case_id}/evidence",
                data={"kind": "photo_video_list", "title": "现场照片"},
                files={"file": ("photos.bin", content)},
            )
        )
    assert "done=record_evidence" in kept[0].headers["location"]
    assert "refused=storage_quota_exceeded" in kept[1].headers["location"]
    page = await browser_like.get(kept[1].headers["location"])
    assert "39.1 KiB of the 64.0 KiB" in page.text
    assert len(list((stack.data_dir / "evidence" / case_id).iterdir())) == 1


async def test_a_form_posted_from_another_site_is_refused(
    browser_like: httpx.AsyncClient, api: httpx.AsyncClient, stack: InProcess
) -> None:
    """The session cookie may be SameSite=None (for the Web UI's codec calls): the dashboard checks
    the form's origin itself."""
    case_id = await open_case(api, stack)
    await sign_in(browser_like, stack, *OFFICER)
    path = f"/case/{case_id}/act/classify"
    form = {"classification": "crime", "reasons": "跨站"}
    forged = await browser_like.post(path, data=form, headers={"Origin": "https://evil.example"})
    assert (forged.status_code, forged.json()["code"]) == (403, "cross_site_request")
    assert (await detail(api, stack, case_id))["state"]["classification"] is None
    login = await browser_like.post(
        "/login", data={"key": stack.key(*OFFICER)}, headers={"Origin": "https://evil.example"}
    )
    assert login.status_code == 403
    own = await browser_like.post(path, data=form, headers={"Origin": "http://api"})
    assert own.status_code == 303
    assert "done=classify" in own.headers["location"]


async def test_a_link_made_elsewhere_puts_no_words_on_a_case_page(
    browser_like: httpx.AsyncClient, api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    await sign_in(browser_like, stack, *OFFICER)
    crafted = await browser_like.get(
        f"/case/{case_id}", params={"refused": "urgent", "message": "请致电 400-000-0000 核实"}
    )
    assert crafted.status_code == 200
    assert "400-000-0000" not in crafted.text
    # The dashboard's own outcome, signed on the way back, is shown.
    taken = await browser_like.post(
        f"/case/{case_id}/act/classify", data={"classification": "crime", "reasons": "暗管"}
    )
    page = await browser_like.get(taken.headers["location"])
    assert 'id="flash-done"' in page.text
