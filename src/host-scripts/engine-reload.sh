#!/bin/sh
# Reloads dockerd's daemon.json by SIGHUP to the pid it wrote in $1 (Debian's sysvinit script has no reload).
# The pid is read now, never from an earlier probe: a stale pid would signal another process.
pid=$(cat -- "$1") && kill -HUP "$pid"
