#!/usr/bin/env bash
# Puts the prepared backup (/backup/.restore of the backup volume) into a stopped MariaDB container's data
# volume, as the node a restored cluster bootstraps from:
#   $1 container (stopped; its volumes include the backup volume at /backup)  $2 image  $3 id of this restore
#   $4 Galera uuid  $5 seqno
# The data it replaces is moved to /backup/pre-restore-<id> first (nothing is deleted), then
# mariabackup --copy-back, ownership to mysql, and grastate.dat with the backup's position, safe to bootstrap.

# shellcheck disable=SC2016 # the single-quoted scripts run in a container, on their own positional parameters
set -euo pipefail
container=$1 image=$2 id=$3 uuid=$4 seqno=$5
docker run --rm -i --network none --volumes-from "$container" --entrypoint bash "$image" -c '
  set -eu
  keep="/backup/pre-restore-$1"
  mkdir -p "$keep"
  find /var/lib/mysql -mindepth 1 -maxdepth 1 -exec mv -t "$keep" {} +
  mariabackup --copy-back --target-dir=/backup/.restore --datadir=/var/lib/mysql 2>/tmp/copy-back.log || { tail -n 5 /tmp/copy-back.log >&2; exit 1; }
  printf "# GALERA saved state\nversion: 2.1\nuuid:    %s\nseqno:   %s\nsafe_to_bootstrap: 1\n" "$2" "$3" > /var/lib/mysql/grastate.dat
  chown -R mysql:mysql /var/lib/mysql
' lading "$id" "$uuid" "$seqno"
