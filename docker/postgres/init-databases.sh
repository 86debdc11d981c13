#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d): two roles and three databases, each owned by its role.
#   temporal, temporal_visibility   owned by $TEMPORAL_DB_USER  (Temporal's persistence and visibility)
#   linkage                         owned by $LINKAGE_DB_USER   (the read model)
# The schemas are not made here: temporal-schema (compose.yaml) migrates Temporal's, and the linkage
# processes migrate the read model when they start. On an existing volume this script does not run
# again: change a password with ALTER ROLE (docker/README.md, "Passwords").
# Executable, so the entrypoint runs it in its own shell; were it sourced (no exec bit), its options
# would carry on into the entrypoint, hence no `set -u` here (the checks below name what is missing).
set -eo pipefail

: "${TEMPORAL_DB_USER:?}" "${TEMPORAL_DB_PASSWORD:?}" "${LINKAGE_DB_USER:?}" "${LINKAGE_DB_PASSWORD:?}"

# psql variables (:"name" quotes an identifier, :'name' a literal), so that no value is spliced into SQL.
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v temporal_user="$TEMPORAL_DB_USER" -v temporal_password="$TEMPORAL_DB_PASSWORD" \
    -v linkage_user="$LINKAGE_DB_USER" -v linkage_password="$LINKAGE_DB_PASSWORD" <<-'EOSQL'
	CREATE ROLE :"temporal_user" LOGIN PASSWORD :'temporal_password';
	CREATE ROLE :"linkage_user" LOGIN PASSWORD :'linkage_password';
	CREATE DATABASE temporal OWNER :"temporal_user";
	CREATE DATABASE temporal_visibility OWNER :"temporal_user";
	CREATE DATABASE linkage OWNER :"linkage_user";
	-- Neither role may open the other's databases.
	REVOKE CONNECT ON DATABASE temporal, temporal_visibility, linkage FROM PUBLIC;
	GRANT CONNECT ON DATABASE temporal, temporal_visibility TO :"temporal_user";
	GRANT CONNECT ON DATABASE linkage TO :"linkage_user";
	-- The read model's text search uses trigram indexes (store/textsearch.py). pg_trgm is a trusted
	-- extension the owner could add itself; made here, it is there whatever the role may do.
	\connect linkage
	CREATE EXTENSION IF NOT EXISTS pg_trgm;
EOSQL
