"""The one way tests wait for something that happens in another process or on another clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]],
    failure: str,
    *,
    seconds: float = 60,
    every: float = 0.1,
    between: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Ask ``check`` until it holds, for at most ``seconds`` of real time; ``between`` runs between
    two asks (for example, moving the time-skipping server's clock)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        if between is not None:
            await between()
        await asyncio.sleep(every)
    raise AssertionError(failure)


def eventually_sync(check: Callable[[], bool], failure: str, *, seconds: float = 30) -> None:
    """The same, for code that is not async (starting processes, waiting for ports)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(failure)
