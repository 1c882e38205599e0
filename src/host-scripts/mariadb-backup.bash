#!/usr/bin/env bash
# One Galera backup with mariabackup, in the running MariaDB container, into its backup volume (/backup):
#   $1 container  $2 backup id  $3 id of the backup it builds on (empty: a full backup)
# It is written into <id>.partial and renamed to <id> only once whole, so a cut run leaves no backup that
# looks complete. Prints the backup's xtrabackup_checkpoints, its Galera position, its size in bytes and a
# checksum of its files, each line prefixed by what it is.

# shellcheck disable=SC2016 # the single-quoted script runs in the container, on its own positional parameters
set -euo pipefail
container=$1 id=$2 base=${3:-}
args=(--backup --galera-info --user=root --target-dir="/backup/$id.partial")
if [ -n "$base" ]; then args+=(--incremental-basedir="/backup/$base"); fi
docker exec "$container" rm -rf "/backup/$id.partial"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! docker exec "$container" mariabackup "${args[@]}" >"$log" 2>&1; then
  tail -n 5 "$log" >&2
  docker exec "$container" rm -rf "/backup/$id.partial" || true
  exit 1
fi
docker exec "$container" sh -c '
  set -eu
  cd "/backup/$1.partial"
  test -s xtrabackup_checkpoints
  sed "s/^/checkpoint /" xtrabackup_checkpoints
  printf "galera %s\n" "$(cat xtrabackup_galera_info 2>/dev/null || true)"
  printf "size %s\n" "$(du -sb . | cut -f1)"
  printf "sha256 %s\n" "$(find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d" " -f1)"
  cd /backup && mv "$1.partial" "$1"
' lading "$id"
