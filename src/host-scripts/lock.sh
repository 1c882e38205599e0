#!/bin/sh
# The deploy lock (src/lifecycle/lock.ts says how it works): $1 take | break | release, $2 the lock file, $3 the
# run's lock id, $4 the audit log, $5 its size when the run read the facts. The lock's JSON arrives on stdin.
mode=$1; f=$2; id=$3; audit=$4; want=$5; d=${f%/*}
case "$mode" in
take|break)
  [ -d "$d" ] || { mkdir -p "$d" && chmod 0700 "$d"; } || exit 3
  umask 077
  if [ "$mode" = break ]; then
    cat > "$f.new" && mv -f "$f.new" "$f" || exit 3
  else
    set -C
    if ! { cat > "$f"; } 2>/dev/null; then set +C; echo HELD; cat "$f"; exit 0; fi
    set +C
  fi
  now=0
  if [ -f "$audit" ]; then now=$(stat -c %s -- "$audit"); fi
  if [ "$now" != "$want" ]; then rm -f "$f"; echo MOVED; exit 0; fi
  echo TAKEN ;;
release)
  if [ -f "$f" ] && grep -qF "\"$id\"" "$f"; then rm -f "$f"; echo RELEASED; else echo NOT-OURS; fi ;;
*) exit 2 ;;
esac
