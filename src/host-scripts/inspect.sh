#!/bin/sh
# Inspects containers by name: one JSON object per line for each that exists, in any order.
# $1 the engine's socket, $2 the API client (engine-api.pl), then the container names. Exit 0 even when some are
# missing (as the API client does); the docker CLI's own exit code otherwise.
sock=$1; api=$2; shift 2
# lading-include: engine-api-lib.sh
if lading_api_usable; then
  perl -e "$api" -- "$sock" inspect "$@" && exit 0
fi
docker inspect --format '{{json .}}' "$@" 2>/dev/null
exit 0
