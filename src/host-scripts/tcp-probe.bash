#!/bin/bash
# The tcp gate's probe, with bash's /dev/tcp: exits 0 when $1:$2 accepts a connection.
exec 3<>"/dev/tcp/$1/$2"
