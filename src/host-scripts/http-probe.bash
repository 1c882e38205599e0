#!/bin/bash
# The http gate's probe, from the host itself with bash's /dev/tcp (hosts need no HTTP client): sends GET $3 to
# $1:$2 and prints the status line.
exec 3<>"/dev/tcp/$1/$2" && printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" >&3 && head -n 1 <&3
