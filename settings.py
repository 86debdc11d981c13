"""One Settings object for every process (worker, API, simulator), read from the environment.

Every variable is prefixed ``LINKAGE_``; nested values (agency endpoints) are JSON. Configuration never
travels in activity inputs (they are recorded in workflow history): activities read it from here.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgencyEndpoint(BaseModel):
    """Where an agency's system listens, and the credential it expects."""

    base_url: str
    token: str = Field(default="", repr=False)

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"'{value}' is not an absolute http(s) URL")
        return value.rstrip("/")


PLACEHOLDER = "REPLACE_ME"  # what docker/env.example holds where a secret must go


class Settings(BaseSettings):
    # A setting refused at start-up is named with its error, never with its value (a secret).
    model_config = SettingsConfigDict(
        env_prefix="LINKAGE_", env_nested_delimiter="__", extra="ignore", hide_input_in_errors=True
    )

    # "embedded": one machine, ``make run``; what is not configured is made in the data folder (a
    # development payload key, a session secret). "production": replicas must share these, so each
    # must be configured, and a process refuses to start without it.
    deployment: Literal["embedded", "production"] = "embedded"

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "cases"

    # Read model and files
    data_dir: Path = Path(".data")
    database_url: str = Field(default="", repr=False)  # default: SQLite under data_dir
    # What one principal (API key) may keep in evidence files, in bytes.
    upload_quota_bytes: int = Field(default=2 * 1024**3, ge=0)
    # Where uploaded evidence files are kept (``store.files``): empty, data_dir/evidence; a folder
    # every API replica mounts, file:///srv/evidence; an S3-compatible bucket, s3://bucket/prefix,
    # at evidence_s3_endpoint when it is not AWS (credentials: the standard AWS_* variables).
    evidence_url: str = ""
    evidence_s3_endpoint: str = ""
    evidence_s3_region: str = ""
    # The CJK font the case's papers are rendered with (activities.papers): a TrueType or OpenType
    # file or collection. None: the first of Debian's (fonts-wqy-microhei, -zenhei, fonts-noto-cjk).
    pdf_font: Path | None = None

    # Agency systems. With no explicit endpoints, every agency of the registry is reached at the
    # simulator, under /agencies/<code>, with the simulator's default credential.
    simulator_url: str = "http://127.0.0.1:8700"
    agency_endpoints: dict[str, AgencyEndpoint] = Field(default_factory=dict)
    notifier: AgencyEndpoint | None = None
    http_timeout: float = 10.0  # seconds, one exchange with an agency system
    heartbeat_every: float = 2.0  # seconds, while a call is in flight

    # The API (agency callbacks from the simulator go there) and the Temporal Web UI (linked from pages)
    api_url: str = "http://127.0.0.1:8000"
    temporal_ui_url: str = "http://127.0.0.1:8233"

    # Payload encryption (workflows/codec.py): key id -> base64 of 32 random bytes, and the id new
    # payloads use. Keep retired keys listed for as long as histories encrypted with them are kept.
    # With none configured, a development key is generated in the data folder.
    payload_keys: dict[str, str] = Field(default_factory=dict, repr=False)
    payload_key_id: str = ""

    # The dashboard's session cookies are signed with it: every API replica needs the same one, or a
    # session made on one is refused by the next. At least 32 characters; embedded: made in data_dir.
    session_secret: SecretStr | None = Field(default=None, min_length=32)

    # The worker: Prometheus metrics of the SDK on host:port (empty: none), and the build it runs as
    # (worker versioning: workflows move to the current build; empty: unversioned).
    worker_metrics_bind: str = ""
    build_id: str = ""
    deployment_name: str = "linkage"

    # How long an API call waits for the case service (the engine and the worker) before it answers
    # 503 with Retry-After: an outage never holds a caller for its whole length.
    outage_bound: float = Field(default=5.0, gt=0, le=60)  # seconds
    # A case's page from its state as stored at its last write, while that still holds
    # (``cases.stored``); off, every page asks the case's workflow (the bench measures both).
    stored_views: bool = True
    # How often the API looks for case workflows that ended without archiving (an operator's
    # terminate): their cases are marked and the joint office told (``api.reads.sweeping``).
    sweep_every: float = Field(default=60.0, gt=0, le=3600)  # seconds

    # Logs: JSON unless the process writes to a terminal
    log_json: bool | None = None
    log_level: str = "INFO"

    @field_validator("evidence_url")
    @classmethod
    def _evidence_store(cls, value: str) -> str:
        parts = urlsplit(value)
        if value and not (
            (parts.scheme == "s3" and parts.netloc) or (parts.scheme == "file" and parts.path)
        ):
            raise ValueError(f"'{value}' is neither file:///a/folder nor s3://bucket[/prefix]")
        return value

    @field_validator("agency_endpoints", "payload_keys", mode="before")
    @classmethod
    def _json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _shared_by_replicas(self) -> Settings:
        if self.deployment == "production":
            missing = [
                name
                for name, value in (
                    ("LINKAGE_SESSION_SECRET", self.session_secret),
                    ("LINKAGE_PAYLOAD_KEYS", self.payload_keys),
                    ("LINKAGE_DATABASE_URL", self.database_url),
                )
                if not value
            ]
            if missing:
                raise ValueError(
                    f"LINKAGE_DEPLOYMENT=production needs {', '.join(missing)}: every replica must "
                    "share them (see docker/env.example)"
                )
            if not self.database_url.startswith("postgresql"):
                raise ValueError(
                    "LINKAGE_DEPLOYMENT=production needs the read model on PostgreSQL "
                    "(LINKAGE_DATABASE_URL=postgresql+psycopg://…): replicas share it"
                )
            secrets = [
                self.session_secret.get_secret_value() if self.session_secret else "",
                self.database_url,
                *self.payload_keys.values(),
            ]
            if any(PLACEHOLDER in value for value in secrets):
                raise ValueError(
                    f"a setting still holds the example's {PLACEHOLDER}: replace it with a secret "
                    "of its own (docker/env.example says how to make each)"
                )
        return self

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'linkage.db').as_posix()}"

    @cached_property
    def endpoints(self) -> dict[str, AgencyEndpoint]:
        """Every agency's endpoint: the configured ones, else the simulator's."""
        if self.agency_endpoints:
            return dict(self.agency_endpoints)
        from cases.agencies import default_registry

        base = self.simulator_url.rstrip("/")
        return {
            agency.code: AgencyEndpoint(
                base_url=f"{base}/agencies/{agency.code}", token=simulator_token(agency.code)
            )
            for agency in default_registry()
        }

    @cached_property
    def notifier_endpoint(self) -> AgencyEndpoint:
        if self.notifier is not None:
            return self.notifier
        return AgencyEndpoint(
            base_url=f"{self.simulator_url.rstrip('/')}/notifier", token=simulator_token("NOTIFIER")
        )


def simulator_token(code: str) -> str:
    """The credential the simulator expects from callers of an agency it plays (demo only)."""
    return f"sim-{code.lower()}"
