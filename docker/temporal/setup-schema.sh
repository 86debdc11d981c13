#!/bin/sh
# temporal-schema (compose.yaml): creates Temporal's two PostgreSQL databases when they are missing and
# brings their schemas to the version of this admin-tools image. Idempotent: run it on every `up`, and
# after changing the image tags of temporal and temporal-schema together (a server upgrade).
# POSIX sh: admin-tools 1.30 and later is a bare Alpine image (busybox, no bash, no psql).
#
# temporal-sql-tool reads its connection from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu

: "${SQL_PLUGIN:?}" "${SQL_HOST:?}" "${SQL_PORT:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

attempts=0
until nc -z "$SQL_HOST" "$SQL_PORT"; do
    attempts=$((attempts + 1))
    if [ "$attempts" -ge 60 ]; then
        echo "PostgreSQL at $SQL_HOST:$SQL_PORT did not answer in 60 s" >&2
        exit 1
    fi
    sleep 1
done

# database name, then the folder of its versioned schema under $SCHEMA_DIR
for pair in temporal:temporal temporal_visibility:visibility; do
    db=${pair%%:*}
    schema=$SCHEMA_DIR/${pair#*:}/versioned
    # The postgres init script has normally made the database already, and the role has no CREATEDB:
    # then create-database fails ("permission denied" or "already exists") and setup-schema below is
    # the real check (it fails when the database is missing or the credentials are wrong).
    if output=$(temporal-sql-tool --db "$db" create-database 2>&1); then
        echo "created database $db"
    else
        echo "database $db not created here ($(printf '%s' "$output" | tail -n 1)); using the existing one"
    fi
    # Makes the schema_version tables; leaves an existing schema's version alone.
    temporal-sql-tool --db "$db" setup-schema -v 0.0
    # Applies every versioned step above the recorded version (none when it is current).
    temporal-sql-tool --db "$db" update-schema -d "$schema"
done

echo "Temporal schemas are current"
