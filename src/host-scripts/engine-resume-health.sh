#!/bin/sh
# After the engine restarted with live-restore: Docker before 23 no longer runs the health checks of the
# containers it restored (moby#41871), so each one's health stays what it was at the restart, forever. Pausing
# and unpausing a container starts its health monitor again (its processes are frozen for a few milliseconds).
# No arguments. Prints the name of each container so resumed; exit 1 if a container could not be unpaused.
set -eu
major=$(docker version --format '{{.Server.Version}}')
major=${major%%.*}
case "$major" in '' | *[!0-9]*) major=0 ;; esac
[ "$major" -ge 23 ] && exit 0
for id in $(docker ps -q --filter status=running); do
  name=$(docker inspect --format '{{if .Config.Healthcheck}}{{.Name}}{{end}}' "$id") || continue
  [ -n "$name" ] || continue
  docker pause "$id" >/dev/null || continue
  if ! docker unpause "$id" >/dev/null && ! docker unpause "$id" >/dev/null; then
    echo "container ${name#/} is left paused: docker unpause $id failed" >&2
    exit 1
  fi
  echo "${name#/}"
done
