#!/bin/sh
# temporal-setup (compose.yaml): once the server answers, registers the cases' namespace (or applies
# the configured retention to it) and the custom search attributes the case workflows upsert.
# Idempotent: it runs on every `up`, and the linkage processes start only after it succeeded.
# POSIX sh for the bare Alpine admin-tools image (busybox, the `temporal` CLI).
#
#   TEMPORAL_ADDRESS     the frontend, host:port
#   NAMESPACE            LINKAGE_TEMPORAL_NAMESPACE
#   RETENTION            how long closed workflow histories are kept, e.g. 720h
#   SEARCH_ATTRIBUTES    "Name=Type ...", the same list as workflows/search.py CLI_FLAGS
set -eu

: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}" "${SEARCH_ATTRIBUTES:?}"

# The CLI is given the address by IP: the same work-around as Temporal's own compose samples for a
# name that resolves oddly inside the Alpine image.
host=${TEMPORAL_ADDRESS%:*}
port=${TEMPORAL_ADDRESS##*:}
ip=$(getent ahosts "$host" 2>/dev/null | awk '/STREAM/ { print $1; exit }' || true)
address=${ip:-$host}:$port

retry() { # retry <attempts> <command...>: every 2 s until it succeeds
    tries=$1
    shift
    n=0
    until "$@"; do
        n=$((n + 1))
        if [ "$n" -ge "$tries" ]; then
            echo "gave up after $tries attempts: $*" >&2
            return 1
        fi
        sleep 2
    done
}

serving() { temporal operator cluster health --address "$address" 2>/dev/null | grep -q SERVING; }
echo "waiting for the Temporal frontend at $TEMPORAL_ADDRESS ($address)"
retry 90 serving

if temporal operator namespace describe --address "$address" --namespace "$NAMESPACE" >/dev/null 2>&1; then
    echo "namespace $NAMESPACE exists; retention set to $RETENTION"
    temporal operator namespace update --address "$address" --namespace "$NAMESPACE" --retention "$RETENTION"
else
    echo "registering namespace $NAMESPACE (retention $RETENTION)"
    temporal operator namespace create --address "$address" --namespace "$NAMESPACE" \
        --retention "$RETENTION" --description "执法联动 cases: one workflow per case"
fi

# A new namespace reaches the server's namespace cache within about ten seconds.
listed() { temporal operator search-attribute list --address "$address" --namespace "$NAMESPACE" > /tmp/attributes; }
retry 30 listed

for spec in $SEARCH_ATTRIBUTES; do
    name=${spec%%=*}
    kind=${spec#*=}
    if grep -qw "$name" /tmp/attributes; then
        echo "search attribute $name exists"
    else
        echo "adding search attribute $name ($kind)"
        retry 5 temporal operator search-attribute create --address "$address" --namespace "$NAMESPACE" \
            --name "$name" --type "$kind"
    fi
done

echo "namespace $NAMESPACE is ready"
