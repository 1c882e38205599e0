#!/bin/sh
# Sets seqno ($2) and safe_to_bootstrap ($3: 1 or 0) in Galera's grastate.dat ($1), owned by mysql.
sed -i -e "s/^seqno:.*/seqno:   $2/" -e "s/^safe_to_bootstrap:.*/safe_to_bootstrap: $3/" "$1" && chown mysql:mysql "$1"
