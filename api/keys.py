"""``python -m api.keys create|list|revoke``: API keys for principals (an agency and a role).

The key is printed once, when it is made; the read model keeps only its hash.
"""

from __future__ import annotations

import argparse
import sys

from cases.agencies import default_registry
from cases.parties import role_fits
from cases.vocabulary import Role
from settings import Settings
from store.db import make_engine, migrate
from store.principals import create_key, list_keys, revoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="linkage-keys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a key and print it once")
    create.add_argument("--agency", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, help="the person or system that will use it")
    commands.add_parser("list", help="list principals (never their keys)")
    drop = commands.add_parser("revoke", help="revoke a key by its prefix")
    drop.add_argument("prefix")
    args = parser.parse_args(argv)

    engine = make_engine(Settings().database)
    migrate(engine)
    if args.command == "create":
        agency = default_registry().find(args.agency)
        if agency is None:
            print(f"no agency '{args.agency}' in the registry", file=sys.stderr)
            return 2
        role = Role(args.role)
        if not role_fits(role, agency.kind):
            print(f"a {role} key cannot belong to a {agency.kind}", file=sys.stderr)
            return 2
        principal, key = create_key(engine, name=args.name, agency=agency.code, role=role.value)
        print(f"{key}\t{principal.agency}\t{principal.role}\t{principal.name}")
    elif args.command == "list":
        for row in list_keys(engine):
            state = "revoked" if row.revoked_at else "active"
            print(f"{row.key_prefix}\t{row.agency}\t{row.role}\t{row.name}\t{state}")
    else:
        if not revoke(engine, args.prefix):
            print(f"no active key with prefix '{args.prefix}'", file=sys.stderr)
            return 1
        print(f"revoked {args.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
