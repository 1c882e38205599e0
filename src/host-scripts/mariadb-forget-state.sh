#!/bin/sh
# Makes a stopped Galera node ($1: container, $2: image) join by a full state transfer (SST): without
# grastate.dat it has no position, so it takes the whole state of the node it joins. Its write-set cache
# (galera.cache) goes too: it holds the old history under the same cluster uuid, and a joiner that preloads
# from it after the transfer fails ("Unsupported CC action version").
set -eu
docker run --rm --network none --volumes-from "$1" --entrypoint sh "$2" -c 'rm -f /var/lib/mysql/grastate.dat /var/lib/mysql/gvwstate.dat /var/lib/mysql/galera.cache'
