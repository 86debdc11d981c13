"""The API tests use the stack and its clients from tests/conftest.py."""

from __future__ import annotations

from tests.stack import PRINCIPALS, Stack

__all__ = ["PRINCIPALS", "Stack"]
