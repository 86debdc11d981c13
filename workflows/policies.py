"""Named retry policies and timeouts for the workflow's outside effects.

Temporal owns retries; the HTTP client does not retry. An agency's refusal (a 4xx) is non-retryable: the
case records the reason and waits for a person to resend or correct it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from cases import effects
from cases.effects import (
    AGENCY_NOT_CONFIGURED,
    AGENCY_REFUSED,
    PAPER_NOT_MADE,
    NotificationBatch,
)

# Agency systems: keep trying through outages (5xx, connection errors, timeouts), with backoff, for as
# long as the step's own deadline allows; the clocks escalate meanwhile.
AGENCY_CALL = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,
    non_retryable_error_types=[AGENCY_REFUSED, AGENCY_NOT_CONFIGURED],
)
AGENCY_CALL_ATTEMPT = timedelta(seconds=60)  # one HTTP exchange, its own timeout inside
AGENCY_CALL_HEARTBEAT = timedelta(seconds=20)
DELIVERY_DEADLINE = timedelta(
    hours=24
)  # O310 Art. 5: an approved case reaches the police in 24 hours
REQUEST_DEADLINE = timedelta(hours=24)

# A paper of what the case sent (cases.papers): rendered and kept with the evidence files. A worker
# without a font that writes Chinese cannot make it, and says so at once; an evidence store that is
# down is tried again for as long as the paper's deadline. The referral waits for its letter, within
# the 24 hours its delivery has (O310 Art. 5): a few minutes, then it goes without (the agency's own
# letter is in its package); the other papers wait as long as they mean something.
PAPER = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
    non_retryable_error_types=[PAPER_NOT_MADE],
)
PAPER_ATTEMPT = timedelta(minutes=2)  # one rendering (a second or so) and one write to the store
LETTER_DEADLINE = timedelta(minutes=10)
PAPER_DEADLINE = timedelta(hours=24)

# Reminders and escalations: the same, but a message is worth less after a day.
NOTIFY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=[AGENCY_REFUSED, AGENCY_NOT_CONFIGURED],
)
NOTIFY_DEADLINE = timedelta(hours=24)

# The read model: a local write, retried briefly in place; what still fails waits in the outbox and
# goes with the next transition (writes are idempotent on case id and sequence).
READ_MODEL = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=8,
)
READ_MODEL_ATTEMPT = timedelta(seconds=10)
OUTBOX_RETRY = timedelta(minutes=1)  # how soon entries that could not be written are tried again


async def notify(batch: NotificationBatch) -> None:
    """Send one batch of notices through the notifier under the notices' policy (workflow code: a
    case's own notices and those of ``NoticeWorkflow`` go the same way)."""
    await workflow.execute_activity(
        effects.NOTIFY,
        batch,
        start_to_close_timeout=AGENCY_CALL_ATTEMPT,
        schedule_to_close_timeout=NOTIFY_DEADLINE,
        retry_policy=NOTIFY,
    )


# A mechanism's routines (workflows.routines): reading and writing the read model, rendering a
# bulletin. Tried again through an outage for as long as the routine still means something (a day);
# a routine whose mechanism or routine is gone is not retried.
ROUTINE_STORE = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=["UnknownRoutine"],
)
ROUTINE_STORE_ATTEMPT = timedelta(minutes=2)  # one read, write or rendering, PDF included
ROUTINE_STORE_DEADLINE = timedelta(hours=24)
