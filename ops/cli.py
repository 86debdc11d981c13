"""``linkage``: the operator's commands, on the settings of the environment (``LINKAGE_*``).

    linkage keys create|list|revoke ...        API keys (as ``linkage-keys``)
    linkage db upgrade [--revision R]          migrate the read model (the services do it on start)
    linkage db current                         the read model's revision
    linkage publish-calendar --year 2027       a newly announced holiday year, to every running case
    linkage rebuild (--all | CASE_ID ...)      the read model of running cases, from their workflows
    linkage export CASE_ID --out FILE          a case's full record from the read model, as JSON
    linkage replay-check [--limit N]           replay running cases' histories against this code
    linkage promote BUILD_ID                   replay-check, then make a worker build current
    linkage schedules [--keep-others]          the routines' Temporal Schedules, as the mechanisms say

Exit status: 0 done, 1 something failed (listed on stderr), 2 a wrong argument.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from alembic.migration import MigrationContext

from api.keys import main as keys_main
from cases.agencies import default_registry
from cases.profiles import default_profiles
from logs import configure_logging
from ops.cases import Outcome, export, publish_calendar, rebuild
from ops.deploy import WrongBuild, check_build, promote, replay_check
from settings import Settings
from store.db import make_engine, migrate
from workflows.engine import connect
from workflows.schedules import ensure_schedules


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="linkage", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("keys", help="API keys (linkage keys --help)", add_help=False)
    db = commands.add_parser("db", help="the read model's schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate to the head revision (or --revision)")
    upgrade.add_argument("--revision", default="head")
    db_commands.add_parser("current", help="print the read model's revision")
    publish = commands.add_parser("publish-calendar", help="send a holiday year to running cases")
    publish.add_argument("--year", type=int, action="append", required=True)
    publish.add_argument("cases", nargs="*", help="only these cases (default: every running one)")
    again = commands.add_parser("rebuild", help="rewrite running cases' read model")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true")
    which.add_argument("cases", nargs="*", default=[])
    out = commands.add_parser("export", help="a case's full record as JSON")
    out.add_argument("case_id")
    out.add_argument("--out", type=Path, required=True, help="written with mode 0600")
    check = commands.add_parser("replay-check", help="replay running cases against this code")
    check.add_argument("--limit", type=int, default=None)
    up = commands.add_parser("promote", help="replay-check, then make a build current")
    up.add_argument("build_id")
    up.add_argument("--limit", type=int, default=None)
    schedules = commands.add_parser(
        "schedules", help="make the routines' Schedules match the mechanisms' files"
    )
    schedules.add_argument(
        "--keep-others", action="store_true", help="keep Schedules no mechanism asks for"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["keys"]:
        return keys_main(args_in[1:])
    args = parser().parse_args(args_in)
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    if args.command == "db":
        return _db(settings, args)
    if args.command == "export":
        return _export(settings, args.case_id, args.out)
    return asyncio.run(_with_temporal(settings, args))


def _db(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database)
    try:
        if args.db_command == "upgrade":
            migrate(engine, args.revision)
        with engine.connect() as connection:
            print(MigrationContext.configure(connection).get_current_revision() or "(empty)")
    finally:
        engine.dispose()
    return 0


def _export(settings: Settings, case_id: str, out: Path) -> int:
    engine = make_engine(settings.database)
    try:
        record = export(engine, case_id)
    finally:
        engine.dispose()
    if record is None:
        print(f"no case '{case_id}' in the read model", file=sys.stderr)
        return 2
    # The record holds the case's facts and people: a new file, readable by the operator alone (an
    # existing file or a link is not written through: it may be readable by others).
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        print(f"{out} exists: name a new file", file=sys.stderr)
        return 2
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(record, file, ensure_ascii=False, indent=1)
    print(
        f"{case_id}: {len(record['timeline'])} entries, {len(record['clocks'])} clocks, "
        f"{len(record['evidence'])} evidence items -> {out}"
    )
    return 0


async def _with_temporal(settings: Settings, args: argparse.Namespace) -> int:
    client = await connect(settings)
    if args.command == "schedules":
        done = await ensure_schedules(
            client,
            default_profiles(),
            default_registry(),
            settings.task_queue,
            remove=not args.keep_others,
        )
        print(
            f"schedules: {len(done.created)} created, {len(done.updated)} updated, "
            f"{len(done.removed)} removed"
        )
        return 0
    if args.command == "promote":
        try:
            check_build(settings, args.build_id)
        except WrongBuild as exc:
            print(exc, file=sys.stderr)
            return 2
    if args.command in ("replay-check", "promote"):
        report = await replay_check(client, settings, limit=args.limit)
        print(f"replayed {report.replayed} running workflow(s), {len(report.failed)} failed")
        for workflow_id, why in sorted(report.failed.items()):
            print(f"  {workflow_id}: {why}", file=sys.stderr)
        if report.failed:
            return 1
        if args.command == "promote":
            await promote(client, settings, args.build_id)
            print(f"{settings.deployment_name}: build {args.build_id} is current")
        return 0
    engine = make_engine(settings.database)
    try:
        if args.command == "publish-calendar":
            outcome = await publish_calendar(client, engine, args.year, args.cases)
        else:
            outcome = await rebuild(client, engine, [] if args.all else args.cases)
    finally:
        engine.dispose()
    return _report(outcome)


def _report(outcome: Outcome) -> int:
    print(f"{len(outcome.done)} case(s) done, {len(outcome.failed)} failed")
    for case_id, why in sorted(outcome.failed.items()):
        print(f"  {case_id}: {why}", file=sys.stderr)
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
