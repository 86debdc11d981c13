"""Bodies no client should send, answered with a documented status and the one error shape."""

from __future__ import annotations

import httpx

from tests.api.conftest import InProcess
from tests.api.helpers import OFFICER, open_case, shape

DEEP = "[" * 5000 + "]" * 5000


async def test_deeply_nested_json_is_a_422_on_every_json_route(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    headers = {**stack.auth(*OFFICER), "Content-Type": "application/json"}
    for path in (
        f"/cases/{case_id}/evidence",
        f"/cases/{case_id}/actions/classify",
        f"/cases/{case_id}/clues",
        "/cases",
    ):
        response = await api.post(path, content=DEEP, headers=headers)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
        assert shape(response)["code"] in {"invalid_input", "invalid_payload"}


async def test_a_body_that_is_not_utf8_is_a_422(api: httpx.AsyncClient, stack: InProcess) -> None:
    case_id = await open_case(api, stack)
    headers = {**stack.auth(*OFFICER), "Content-Type": "application/json"}
    for path in (f"/cases/{case_id}/actions/classify", f"/cases/{case_id}/evidence", "/cases"):
        response = await api.post(path, content=b'{"x": "\xff\xfe"}', headers=headers)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
        assert shape(response)["code"] in {"invalid_input", "invalid_payload"}


async def test_malformed_multipart_and_a_missing_content_type_are_422(
    api: httpx.AsyncClient, stack: InProcess
) -> None:
    case_id = await open_case(api, stack)
    auth = stack.auth(*OFFICER)
    for content_type in ("multipart/form-data; boundary=xx", "multipart/form-data"):
        response = await api.post(
            f"/cases/{case_id}/evidence",
            content=b"--xx\r\nbroken",
            headers={**auth, "Content-Type": content_type},
        )
        assert response.status_code == 422, (content_type, response.text[:200])
        assert shape(response)["code"] == "invalid_input"
    bare = await api.post(
        f"/cases/{case_id}/actions/classify",
        content=b'{"classification": "crime", "reasons": "x"}',
        headers=auth,  # no Content-Type: not read as JSON
    )
    assert (bare.status_code, shape(bare)["code"]) == (422, "invalid_input")
