#!/bin/sh
# Appends the lines on stdin to the audit log $1 (mode 0600, its folder 0700); never rewrites it.
f=$1; d=${f%/*}
mkdir -p "$d" && chmod 0700 "$d" || exit 3
umask 077
cat >> "$f" && chmod 0600 "$f"
