#!/bin/sh
# Revision files and image ids (src/lifecycle/revisions.ts): $1 the revisions folder, then service names, "--",
# then image references.
dir=$1; shift
printf '@@begin\n'
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  svc=$1; shift
  [ -d "$dir/$svc" ] || continue
  for f in "$dir/$svc"/*.json; do
    [ -f "$f" ] || continue
    n=${f##*/}; n=${n%.json}
    printf '@@rev %s %s\n' "$svc" "$n"; base64 -w0 -- "$f"; printf '\n'
  done
done
[ "$#" -gt 0 ] && shift
for ref in "$@"; do
  info=$(docker image inspect --format '{{.Id}} {{range .RepoDigests}}{{.}} {{end}}' "$ref" 2>/dev/null) || continue
  printf '@@image %s %s\n' "$ref" "$info"
done
printf '@@end\n'
