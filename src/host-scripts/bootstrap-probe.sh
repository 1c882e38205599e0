#!/bin/sh
# What bootstrap-servers decides from (src/lifecycle/bootstrap.ts): $1 the deploy user, $2 the config folder, then
# the files to print (daemon.json, the restart marker, /etc/hosts, the sysctl file; the sudoers file is added here).
user=$1; config=$2; shift 2
# shellcheck disable=SC1091 # the host's own file
. /etc/os-release 2>/dev/null; printf 'os %s\n' "${ID:-unknown}"
if command -v docker >/dev/null 2>&1; then printf 'docker yes\n'; else printf 'docker no\n'; fi
if docker info >/dev/null 2>&1; then printf 'running yes\n'; else printf 'running no\n'; fi
printf 'liverestore %s\n' "$(docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null)"
if [ -d /run/systemd/system ]; then printf 'systemd yes\n'; else printf 'systemd no\n'; fi
if grep -Eqs '(^|[[:space:]|])reload[|)]' /etc/init.d/docker; then printf 'initreload yes\n'; else printf 'initreload no\n'; fi
for f in "$@" "/etc/sudoers.d/lading-$user"; do
  if [ -f "$f" ]; then printf 'file %s %s\n' "$f" "$(base64 -w0 -- "$f")"; else printf 'file %s -\n' "$f"; fi
done
if [ -n "$user" ] && id -u "$user" >/dev/null 2>&1; then printf 'user yes\n'; else printf 'user no\n'; fi
if [ -d "$config" ]; then printf 'config yes\n'; else printf 'config no\n'; fi
