#!/bin/sh
# Prechecks: what src/engine/prechecks.ts judges a host ready by, in sections @@name. No parameters.
printf '@@engine\n'; docker version --format '{{.Server.Version}}' 2>/dev/null || printf 'NONE\n'
printf '@@time\n'; date +%s
printf '@@disk\n'; df -Pk /var/lib/docker 2>/dev/null | tail -n 1 || df -Pk / | tail -n 1
printf '@@addr\n'; ip -o addr show 2>/dev/null | awk '{print $4}'
printf '@@listen\n'; (ss -Htln 2>/dev/null || netstat -tln 2>/dev/null) | awk '{print $4}'
printf '@@end\n'
