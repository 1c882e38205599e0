#!/bin/sh
# Runs inside the HAProxy container: sends one command ($2, e.g. "show stat" or "set server mariadb/lab1 state
# maint") to HAProxy's admin socket $1 and prints the answer (an empty line for a command that succeeded).
printf '%s\n' "$2" | socat -t 2 stdio "unix-connect:$1"
