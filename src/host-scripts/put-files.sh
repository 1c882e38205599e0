#!/bin/sh
# Atomic writes of one or more files in one round trip (src/transport/put-file.ts): $1 the number of files, then
# seven parameters per file: dir, name, umask, mode to chmod ("" = none), owner to chown ("" = none), byte count,
# random tag; then, optionally, a command to run once every file is in place. The contents arrive on stdin, one
# after the other. Temporary files are named .<name>.lading-tmp.<tag> (TEMP_MARKER in put-file.ts).
set -eu
tmp=""
trap 'if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi' EXIT
trap 'exit 1' HUP INT TERM PIPE
n=$1; shift
while [ "$n" -gt 0 ]; do
  dir=$1 name=$2 mask=$3 mode=$4 owner=$5 size=$6 tag=$7
  shift 7; n=$((n - 1))
  dest=$dir/$name
  # A directory lading creates is 0755 whatever umask the file before it was written under (a 0600 file's
  # 077 would make it 0700, and the service's user could not reach the files in it: keystone's fernet-keys/).
  [ -d "$dir" ] || (umask 022 && mkdir -p -- "$dir")
  for stale in "$dir"/."$name".lading-tmp.*; do
    if [ -e "$stale" ]; then rm -f -- "$stale"; fi
  done
  tmp=$dir/.$name.lading-tmp.$tag
  umask "$mask"
  set -C
  if [ "$size" -gt 0 ]; then head -c "$size" > "$tmp"; else : > "$tmp"; fi
  set +C
  got=$(($(wc -c < "$tmp")))
  if [ "$got" != "$size" ]; then
    echo "received $got of $size bytes; $dest left unchanged" >&2
    exit 3
  fi
  if [ -n "$mode" ]; then chmod -- "$mode" "$tmp"; fi
  if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
  sync -- "$tmp" 2>/dev/null || :
  mv -f -- "$tmp" "$dest"
  tmp=""
  sync -- "$dir" 2>/dev/null || :
  printf '%s\n' "$dest"
done
if [ "$#" -gt 0 ]; then
  printf '@@then\n'
  set +e
  "$@" < /dev/null
  exit $?
fi
