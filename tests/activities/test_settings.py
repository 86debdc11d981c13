"""The settings every replica must share: required in production, and never the example's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from api.ui.session import secret_for
from settings import Settings

KEYS = {"k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
SHARED: dict[str, Any] = {
    "session_secret": "s" * 40,
    "payload_keys": KEYS,
    "database_url": "postgresql+psycopg://linkage:pw@db/linkage",
}


def test_production_refuses_to_start_without_what_replicas_share() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(deployment="production")
    message = str(refused.value)
    for name in ("LINKAGE_SESSION_SECRET", "LINKAGE_PAYLOAD_KEYS", "LINKAGE_DATABASE_URL"):
        assert name in message
    assert Settings(deployment="production", **SHARED).deployment == "production"
    assert Settings().deployment == "embedded"  # make run: made in the data folder
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(deployment="production", **{**SHARED, "database_url": "sqlite:////srv/read.db"})


def test_production_refuses_the_examples_placeholders() -> None:
    with pytest.raises(ValidationError, match="REPLACE_ME"):
        Settings(deployment="production", **{**SHARED, "session_secret": "REPLACE_ME_" + "x" * 40})
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(**{**SHARED, "session_secret": "short"})


def test_replicas_with_one_secret_sign_alike_whatever_their_folders(tmp_path: Path) -> None:
    base = tmp_path
    one = Settings(**SHARED, data_dir=base / "a")
    two = Settings(**SHARED, data_dir=base / "b")
    assert secret_for(one) == secret_for(two)
    assert not (base / "a" / "session-secret").exists()  # nothing made in the folder
    alone = Settings(data_dir=base / "c")
    assert secret_for(alone) == secret_for(Settings(data_dir=base / "c"))  # kept in the folder
    assert secret_for(alone) != secret_for(one)


def test_the_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGE_DEPLOYMENT", "production")
    monkeypatch.setenv("LINKAGE_SESSION_SECRET", "e" * 64)
    monkeypatch.setenv("LINKAGE_PAYLOAD_KEYS", json.dumps(KEYS))
    monkeypatch.setenv("LINKAGE_DATABASE_URL", SHARED["database_url"])
    settings = Settings()
    assert settings.session_secret is not None
    shown = repr(settings)
    assert "e" * 64 not in shown  # a secret is not printed
    assert ":pw@" not in shown  # nor the database's password


def test_a_refused_secret_is_not_echoed_in_the_error() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**SHARED, "session_secret": "hunter2-too-short"})
    assert "hunter2" not in str(refused.value)
    assert "session_secret" in str(refused.value)
