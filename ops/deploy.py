"""Rolling out a new build of the worker without breaking running cases.

The policy: every workflow auto-upgrades (the worker's ``default_versioning_behavior``). A case runs
for months, longer than any build should keep running beside its successors, so pinning it would
mean keeping every build alive until its last case closes. Instead, when a build becomes current,
running cases move to it at their next task and replay their history on it; so before a build is
made current its code replays the histories of the cases running now (``replay_check``), and a
change that would not replay goes behind ``workflow.patched`` first. (A behaviour per workflow type
cannot be declared in the code: the server refuses it from workers without versioning, such as
``make run``'s and the tests'.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client
from temporalio.worker import Replayer

from settings import Settings
from workflows.case import CaseWorkflow
from workflows.clue import ClueWorkflow
from workflows.engine import converter_for
from workflows.event_bulletins import EVENT_BULLETIN_WORKFLOWS
from workflows.notice import NoticeWorkflow
from workflows.report import ReportWorkflow
from workflows.routines import ROUTINE_WORKFLOWS
from workflows.runner import runner


@dataclass
class ReplayReport:
    replayed: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # workflow id: why


WORKFLOWS: Sequence[type] = (
    CaseWorkflow,
    NoticeWorkflow,
    ClueWorkflow,
    ReportWorkflow,
    *ROUTINE_WORKFLOWS,
    *EVENT_BULLETIN_WORKFLOWS,
)
# Every workflow that will move to the promoted build: they all auto-upgrade.
RUNNING = (
    "ExecutionStatus = 'Running' AND "
    "WorkflowType IN ('CaseWorkflow', 'NoticeWorkflow', 'ClueWorkflow', 'ReportWorkflow', "
    "'MeetingWorkflow', 'BulletinWorkflow', 'ReferralScanWorkflow', 'RoutineWorkflow', "
    "'TypicalCaseBulletinWorkflow', 'EmergencyBulletinWorkflow')"
)


class WrongBuild(Exception):
    """``promote`` asked of a process of another build: its replay would prove nothing."""


async def replay_check(
    client: Client,
    settings: Settings,
    query: str = RUNNING,
    limit: int | None = None,
    workflows: Sequence[type] = WORKFLOWS,
) -> ReplayReport:
    """Replay the histories of the running cases (``query``) against the code of this process, as
    its worker would run it (the same runner and payload keys)."""
    replayer = Replayer(
        workflows=workflows,
        data_converter=converter_for(settings),
        workflow_runner=runner(),
        namespace=settings.temporal_namespace,
    )
    report = ReplayReport()
    histories = client.list_workflows(query, limit=limit).map_histories()
    async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results:
            report.replayed += 1
            if result.replay_failure is not None:
                report.failed[result.history.workflow_id] = str(result.replay_failure)[:500]
    return report


def check_build(settings: Settings, build_id: str) -> None:
    if settings.build_id != build_id:
        raise WrongBuild(
            f"this process is build '{settings.build_id or '(none)'}', not '{build_id}': run "
            "`linkage promote` from a container of the build to promote"
        )


async def promote(client: Client, settings: Settings, build_id: str) -> None:
    """Make ``build_id`` the current version of the worker deployment: new cases start on it, and
    running auto-upgrading cases move to it. Its workers must be polling already. Only a process of
    that very build may (its replay check ran the build's own code)."""
    check_build(settings, build_id)
    await client.workflow_service.set_worker_deployment_current_version(
        SetWorkerDeploymentCurrentVersionRequest(
            namespace=settings.temporal_namespace,
            deployment_name=settings.deployment_name,
            build_id=build_id,
            identity="linkage promote",
        )
    )
