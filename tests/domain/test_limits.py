"""A case filled to every limit still travels whole into a new run: its state stays well under the
2 MB Temporal allows one payload, with every field at its longest and every list at its cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from cases.agencies import default_registry
from cases.calendar import Unit, default_calendar, snapshot
from cases.change import ActionResult, Deliver
from cases.intake import CaseIntake
from cases.limits import (
    KEPT_ACTION_KEYS,
    KEPT_CLOSED_CLOCKS,
    KEPT_ERROR,
    KEPT_REFUSALS,
    KEPT_TIMELINE,
    MAX_EVIDENCE,
    MAX_LINKS,
    MAX_MEASUREMENTS,
    MAX_REQUESTS,
    MAX_SUPPLEMENT_REQUESTS,
)
from cases.model import (
    Actor,
    CaseFacts,
    CaseLink,
    ClockState,
    EvidenceItem,
    ExpertRequest,
    Measurement,
    SupplementRequest,
    TimelineEntry,
)
from cases.profiles import profile_data
from cases.vocabulary import LinkRelation, Party, RequestKind, Role, Stage
from tests.domain.cases_at import NOW, case_at
from workflows.engine import DATA_CONVERTER
from workflows.messages import Applied, Carried, CaseInput

WIDE = "長"  # three bytes in UTF-8, as most Chinese text
CEILING = 1_500_000  # bytes: room under Temporal's 2 MB for the rest of a run's input


def text(n: int) -> str:
    return WIDE * n


def fullest_case() -> CaseInput:
    state = case_at(Stage.FILING_DECISION)
    actor = Actor("EPB-" + "X" * 36, Role.OFFICER, text(200))
    state.facts = replace(
        state.facts,
        summary=text(2000),
        measurements=[Measurement(text(60), 1.0, 2.0, text(20)) for _ in range(MAX_MEASUREMENTS)],
    )
    state.evidence = [
        EvidenceItem(
            seq=i + 1,
            kind="environmental_damage",
            title=text(200),
            recorded_by=actor,
            recorded_at=NOW,
            sha256="a" * 64,
            reference="https://" + "a" * 492,
            size=10**12,
        )
        for i in range(MAX_EVIDENCE)
    ]
    state.requests = [
        ExpertRequest(
            f"test-{i + 1}",
            RequestKind.TEST,
            "MON-DEMO",
            NOW,
            actor,
            text(200),
            NOW,
            text(1000),
            NOW,
            text(KEPT_ERROR),
        )
        for i in range(MAX_REQUESTS)
    ]
    state.links = [
        CaseLink(f"EPB-{'X' * 36}.{i:064d}", "r" * 40, LinkRelation.RELATED, NOW, actor, text(500))
        for i in range(MAX_LINKS)
    ]
    state.supplements = [
        SupplementRequest(NOW, [text(200)] * 20, NOW) for _ in range(MAX_SUPPLEMENT_REQUESTS)
    ]
    state.referral.refusals = [text(2000)] * KEPT_REFUSALS
    state.timeline = [
        TimelineEntry(
            i + 1,
            NOW,
            "request_supplements",
            actor,
            Stage.FILING_DECISION,
            Stage.FILING_DECISION,
            {"note": text(2000), "reasons": text(2000), "items": text(200 * 20)},
        )
        for i in range(KEPT_TIMELINE)
    ]
    clock = ClockState(
        ordinal=0,
        key="test:test-1",
        name="test",
        title_zh=text(60),
        title_en="x" * 120,
        owner_party=Party.MONITORING,
        owner_agency="MON-DEMO",
        owner_role=Role.OFFICER,
        started_at=NOW,
        length=5,
        unit=Unit.WORKING_DAYS,
        due_at=NOW + timedelta(days=7),
        source=text(500),
        statutory=False,
        escalated_to={f"AGENCY-{i}": NOW for i in range(3)},
    )
    state.clocks = [
        clock.model_copy(update={"ordinal": i})
        for i in range(MAX_REQUESTS + KEPT_CLOSED_CLOCKS + 15)
    ]
    return CaseInput(
        intake=CaseIntake(
            intake_ref="I" * 64,
            discovering_agency="EPB-DEMO",
            subject=text(200),
            discovered_at=NOW,
            facts=CaseFacts(summary=text(2000)),
        ),
        profile=profile_data("env-police"),
        calendar=snapshot(default_calendar(), [NOW.year, NOW.year + 1]),
        registry=default_registry().snapshot(),
        carried=Carried(
            state,
            effects=[Deliver(1)],
            applied={  # as many remembered Idempotency-Keys as a case keeps
                f"{i:032x}": Applied(
                    f"{i:032x}", ActionResult(i, Stage.EVIDENCE, {"evidence_seq": str(i)}, NOW)
                )
                for i in range(KEPT_ACTION_KEYS)
            },
        ),
    )


def test_a_case_at_every_limit_fits_a_new_run() -> None:
    payload = DATA_CONVERTER.payload_converter.to_payloads([fullest_case()])[0]
    size = len(payload.data)
    print(f"the fullest case's hand-over: {size / 1e6:.2f} MB")
    assert size < CEILING
    decoded = DATA_CONVERTER.payload_converter.from_payloads([payload], [CaseInput])[0]
    assert isinstance(decoded, CaseInput)
    assert decoded.carried is not None
    assert len(decoded.carried.case.evidence) == MAX_EVIDENCE
