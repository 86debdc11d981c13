"""Calls to agency systems over HTTP: the referral, test and appraisal requests, and notifications.

One shared ``httpx.AsyncClient`` (made in ``worker.py``, its own retries off) serves every call; Temporal's
retry policy owns retries. Every call carries an ``Idempotency-Key`` that is the same on every retry of
the same step, has a timeout, heartbeats while in flight and stops when the activity is cancelled. A 4xx
is the agency refusing the step: non-retryable, with its reason, so the case records it and waits for a
person. A 5xx, a connection error or a timeout is a passing fault: raised for Temporal to retry.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from cases.effects import (
    AGENCY_NOT_CONFIGURED,
    AGENCY_REFUSED,
    DELIVER_CLUE,
    DELIVER_DOCUMENT,
    DELIVER_REFERRAL,
    NOTIFY,
    REPLY_TO_REPORTER,
    SEND_EXPERT_REQUEST,
    ClueDelivery,
    DocumentDelivery,
    ExpertRequestCall,
    NotificationBatch,
    ReferralDelivery,
)
from cases.model import DeliveryReceipt
from cases.reports import ReporterReply
from settings import AgencyEndpoint, Settings
from store.sealed import Sealer, SealError

log = structlog.get_logger(__name__)


class AgencyCallFailed(Exception):
    """A passing fault (5xx, unreadable answer): Temporal retries the activity."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class AgencyActivities:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, sealer: Sealer | None = None
    ) -> None:
        self._client = client
        self._settings = settings
        self._sealer = sealer  # opens a reporter's contact for the reply, and nothing else
        self._allowed_hosts = {
            urlsplit(e.base_url).netloc
            for e in [*settings.endpoints.values(), settings.notifier_endpoint]
        }
        # Which agency a failure is about: its message is what the case page shows while the call
        # is retried (the attempts and the last error of an agency that cannot be reached).
        self._who = {e.base_url: code for code, e in settings.endpoints.items()}
        self._who[settings.notifier_endpoint.base_url] = "the notifier"

    def _endpoint(self, agency: str) -> AgencyEndpoint:
        endpoint = self._settings.endpoints.get(agency)
        if endpoint is None:
            raise ApplicationError(
                f"no endpoint is configured for agency '{agency}'",
                type=AGENCY_NOT_CONFIGURED,
                non_retryable=True,
            )
        return endpoint

    async def _post(
        self,
        endpoint: AgencyEndpoint,
        path: str,
        body: Any,
        key: str,
        case_id: str,
        *,
        quiet: bool = False,
    ) -> dict[str, Any]:
        """``quiet``: the body carries someone's contact, which a refusal may repeat: a refusal
        is kept and logged by its status alone."""  # fmt: skip
        url = f"{endpoint.base_url}{path}"
        who = self._who.get(endpoint.base_url, endpoint.base_url)
        if urlsplit(url).netloc not in self._allowed_hosts:
            raise ApplicationError(
                f"'{urlsplit(url).netloc}' is not a configured agency host",
                type=AGENCY_NOT_CONFIGURED,
                non_retryable=True,
            )
        headers = {"Idempotency-Key": key}
        if endpoint.token:
            headers["Authorization"] = f"Bearer {endpoint.token}"
        bound = log.bind(
            case_id=case_id, url=url, idempotency_key=key, attempt=activity.info().attempt
        )
        call = asyncio.create_task(
            self._client.post(
                url, json=_jsonable(body), headers=headers, timeout=self._settings.http_timeout
            )
        )
        try:
            while True:
                done, _ = await asyncio.wait({call}, timeout=self._settings.heartbeat_every)
                if done:
                    break
                activity.heartbeat(key)
            response = call.result()
        except asyncio.CancelledError:
            call.cancel()
            bound.info("agency call cancelled")
            raise
        except httpx.TimeoutException:
            bound.warning("agency call timed out")
            # Not chained (here and below): the engine keeps a bounded failure for the case page to
            # show, and the traces of httpx's causes would overflow it ("Failure exceeds size limit").
            raise AgencyCallFailed(
                f"{who}: no answer from {url} within {self._settings.http_timeout}s"
            ) from None
        except httpx.TransportError as exc:
            bound.warning("agency unreachable", error=str(exc))
            raise AgencyCallFailed(
                f"{who}: {url} unreachable: {exc or type(exc).__name__}"
            ) from None
        if 400 <= response.status_code < 500:
            reason = (
                "(its words withheld: they may repeat a contact)" if quiet else _reason(response)
            )
            bound.warning("agency refused", status=response.status_code, reason=reason)
            raise ApplicationError(
                f"{response.status_code} {reason}", type=AGENCY_REFUSED, non_retryable=True
            )
        if response.status_code >= 500:
            bound.warning("agency failed", status=response.status_code)
            raise AgencyCallFailed(f"{who}: {url} answered {response.status_code}")
        bound.info("agency call done", status=response.status_code)
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            raise AgencyCallFailed(f"{who}: {url} answered something that is not JSON") from None
        return answer if isinstance(answer, dict) else {}

    @activity.defn(name=DELIVER_REFERRAL)
    async def deliver_referral(self, delivery: ReferralDelivery) -> DeliveryReceipt:
        police = self._endpoint(delivery.police_agency)
        answer = await self._post(
            police, "/referrals", asdict(delivery), delivery.idempotency_key, delivery.case_id
        )
        for agency in delivery.copy_to:
            await self._post(
                self._endpoint(agency),
                "/referral-copies",
                asdict(delivery),
                f"{delivery.idempotency_key}-copy-{agency}",
                delivery.case_id,
            )
        return _receipt(answer, "the police system")

    @activity.defn(name=DELIVER_DOCUMENT)
    async def deliver_document(self, delivery: DocumentDelivery) -> DeliveryReceipt:
        """A written notice: the receiving system's receipt is the moment of receipt."""
        answer = await self._post(
            self._endpoint(delivery.to),
            "/documents",
            asdict(delivery),
            delivery.idempotency_key,
            delivery.case_id,
        )
        for agency in delivery.copy_to:
            await self._post(
                self._endpoint(agency),
                "/document-copies",
                asdict(delivery),
                f"{delivery.idempotency_key}-copy-{agency}",
                delivery.case_id,
            )
        return _receipt(answer, f"{delivery.to}'s system")

    @activity.defn(name=DELIVER_CLUE)
    async def deliver_clue(self, delivery: ClueDelivery) -> DeliveryReceipt:
        """A duty-crime clue to the supervisory commission or the procuratorate: to it alone."""
        answer = await self._post(
            self._endpoint(delivery.to),
            "/clues",
            asdict(delivery),
            delivery.idempotency_key,
            delivery.case_id,
        )
        return _receipt(answer, f"{delivery.to}'s system")

    @activity.defn(name=SEND_EXPERT_REQUEST)
    async def send_expert_request(self, call: ExpertRequestCall) -> DeliveryReceipt | None:
        """A request to an institution or another agency; its system's receipt where it gives one
        (D6 §一(二): the county department's days run from receiving the request)."""
        answer = await self._post(
            self._endpoint(call.agency),
            "/requests",
            asdict(call),
            call.idempotency_key,
            call.case_id,
        )
        if "reference" not in answer:
            return None  # acknowledged without a receipt: nothing runs from it
        return _receipt(answer, f"{call.agency}'s system")

    @activity.defn(name=NOTIFY)
    async def notify(self, batch: NotificationBatch) -> None:
        await self._post(
            self._settings.notifier_endpoint,
            "/notify",
            asdict(batch),
            batch.idempotency_key,
            batch.case_id,
        )

    @activity.defn(name=REPLY_TO_REPORTER)
    async def reply_to_reporter(self, reply: ReporterReply) -> None:
        """Tell the reporter through the notifier (SMS or mail). The contact is opened here, sent in
        the request's body only, and never logged; a sealed contact that does not open is not
        retried."""
        try:
            if self._sealer is None:
                raise SealError("this worker has no keys to open a reporter's contact")
            who = self._sealer.open(reply.reporter_sealed, reply.report_id)
        except SealError as exc:
            raise ApplicationError(
                str(exc), type=AGENCY_NOT_CONFIGURED, non_retryable=True
            ) from None
        await self._post(
            self._settings.notifier_endpoint,
            "/reporter-replies",
            {
                "report_id": reply.report_id,
                "name": who.name,
                "phone": who.phone,
                "address": who.address,
                "text": reply.text,
            },
            reply.idempotency_key,
            reply.report_id,
            quiet=True,
        )


def _receipt(answer: dict[str, Any], whose: str) -> DeliveryReceipt:
    try:
        return DeliveryReceipt(
            reference=str(answer["reference"]),
            received_at=datetime.fromisoformat(str(answer["received_at"])),
        )
    except (KeyError, ValueError):
        raise AgencyCallFailed(f"{whose} receipt is unreadable: {str(answer)[:200]}") from None


def _reason(response: httpx.Response) -> str:
    """The agency's own words for a refusal, as short as it gives them."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason_phrase)[:500]
    if isinstance(body, dict):
        for key in ("reason", "detail", "message", "error"):
            if key in body:
                return str(body[key])[:500]
    return str(body)[:500]
