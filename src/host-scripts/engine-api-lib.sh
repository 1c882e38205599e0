#!/bin/sh
# Functions for scripts that ask the engine API, with $sock set: whether the API client (engine-api.pl) may
# answer for the docker CLI: perl is there, the socket is, and neither DOCKER_HOST nor a docker context sends
# the CLI elsewhere (registry logins in config.json change nothing).
lading_cli_elsewhere() {
  [ -n "${DOCKER_HOST:-}" ] && return 0
  cfg=${DOCKER_CONFIG:-${HOME:-/root}/.docker}/config.json
  [ -f "$cfg" ] || return 1
  while IFS= read -r line; do case $line in *currentContext*) return 0 ;; esac; done < "$cfg"
  return 1
}
lading_api_usable() {
  [ -S "${sock:?}" ] && command -v perl >/dev/null 2>&1 && ! lading_cli_elsewhere
}
