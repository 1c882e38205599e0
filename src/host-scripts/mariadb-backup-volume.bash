#!/usr/bin/env bash
# Runs a command on the backup volume, in a throwaway container of the MariaDB image without network:
#   $1 image  $2 backup volume  $3 what: list | write-manifest ID (stdin: the manifest) | prepare ID... | remove ID
# list prints every backup's manifest, one JSON document a line.

# shellcheck disable=SC2016 # the single-quoted scripts run in a container, on their own positional parameters
set -euo pipefail
image=$1 volume=$2 what=$3
shift 3
in_volume() { docker run --rm -i --network none -v "$volume:/backup" --entrypoint bash "$image" -c "$@"; }
case "$what" in
  list)
    in_volume 'for m in /backup/*/lading-manifest.json; do if [ -f "$m" ]; then tr -d "\n" < "$m"; echo; fi; done' lading
    ;;
  write-manifest)
    in_volume 'set -eu; cat > "/backup/$1/lading-manifest.json.tmp" && mv "/backup/$1/lading-manifest.json.tmp" "/backup/$1/lading-manifest.json"' lading "$1"
    ;;
  prepare)
    # The full backup ($1), then each incremental after it, applied to a copy: the backups stay as taken.
    in_volume '
      set -eu
      rm -rf /backup/.restore
      cp -a "/backup/$1" /backup/.restore
      mariabackup --prepare --target-dir=/backup/.restore 2>/tmp/prepare.log || { tail -n 5 /tmp/prepare.log >&2; exit 1; }
      shift
      for inc in "$@"; do
        mariabackup --prepare --target-dir=/backup/.restore --incremental-dir="/backup/$inc" 2>/tmp/prepare.log || { tail -n 5 /tmp/prepare.log >&2; exit 1; }
      done
      printf "galera %s\n" "$(cat /backup/.restore/xtrabackup_galera_info 2>/dev/null || true)"
    ' lading "$@"
    ;;
  *)
    echo "unknown action: $what" >&2
    exit 2
    ;;
esac
