#!/bin/sh
# Facts: everything a plan needs from a host, in one command (src/facts/gather.ts says what each section holds).
# $1 the content size limit, $2 the state file, $3 the lock, $4 the audit log, $5 1 to list volumes, $6 the
# engine's socket, $7 the API client (engine-api.pl), $8 the number of image references, then the references,
# then every path to read.
set -f
max=$1; state=$2; lock=$3; audit=$4; volumes=$5; sock=$6; api=$7; n=$8; shift 8
images=""
while [ "$n" -gt 0 ]; do images="$images $1"; n=$((n - 1)); shift; done

# lading-include: engine-api-lib.sh

lading_objects() {
  if lading_api_usable; then
    # shellcheck disable=SC2086 # $images is a list of references (no blanks in any; globbing is off)
    perl -e "$api" -- "$sock" managed $images && return
  fi
  if ids=$(docker ps --all --quiet --filter label=lading.managed=true 2>/dev/null); then printf '@@engine\nup\n'; else printf '@@engine\nNONE\n'; fi
  printf '@@objects\n'
  # shellcheck disable=SC2086 # $ids and $images are lists (no blanks in any item; globbing is off)
  if [ -n "$ids$images" ]; then docker inspect --format '{{json .}}' $ids $images 2>/dev/null; fi
}
lading_files() {
  printf '@@files\n'
  listing=$(stat -L -c '%f %a %U:%G %u:%g %s %n' -- "$@" 2>/dev/null)
  set --
  while read -r raw mode owner ids size path; do
    case $raw in 8???) ;; *) continue ;; esac
    if [ "$path" = "$audit" ]; then
      printf 'S %s %s %s %s %s\n' "$mode" "$owner" "$ids" "$size" "$path"
    elif [ "$size" -le "$max" ] || [ "$path" = "$state" ] || [ "$path" = "$lock" ]; then
      printf 'F %s %s %s %s %s\n' "$mode" "$owner" "$ids" "$size" "$path"
      set -- "$@" "$path"
    else
      printf 'H %s %s %s %s %s\n' "$mode" "$owner" "$ids" "$size" "$path"
      sha256sum < "$path"
    fi
  done <<LADING_LISTING
$listing
LADING_LISTING
  printf '@@content\n'
  if [ "$#" -gt 0 ]; then cat -- "$@" | base64 -w0; fi
  printf '\n'
}
lading_facts() {
  lading_objects | { lading_files "$@"; cat; }
}
if [ "$volumes" = 1 ]; then
  { printf '@@volumes\n'; docker volume ls --quiet 2>/dev/null; } | { lading_facts "$@"; cat; }
else
  lading_facts "$@"
fi
printf '@@end\n'
