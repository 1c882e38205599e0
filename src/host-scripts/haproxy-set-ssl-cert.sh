#!/bin/sh
# Runs inside the HAProxy container: loads the certificate file $2 (certificate, chain and key, as lading wrote
# it, mode 0600) into the running HAProxy through its admin socket $1, without a restart: "set ssl cert" with the
# PEM as payload, then "commit ssl cert". Established connections keep their session; new handshakes get the
# new certificate. The PEM travels from the file to the socket only (never argv or env). $2 is also the name
# HAProxy knows the certificate by (its crt in haproxy.cfg).
set -eu
socket=$1
cert=$2
send() {
  socat -t 5 stdio "unix-connect:$socket"
}
# The payload ends at the first empty line: the PEM goes without any.
answer=$({ printf 'set ssl cert %s <<\n' "$cert"; sed '/^[[:space:]]*$/d' "$cert"; printf '\n'; } | send)
case $answer in
  *"ransaction created"* | *"ransaction updated"*) ;;
  *)
    printf 'set ssl cert %s: %s\n' "$cert" "$answer" >&2
    printf 'abort ssl cert %s\n' "$cert" | send >/dev/null || true
    exit 1
    ;;
esac
answer=$(printf 'commit ssl cert %s\n' "$cert" | send)
case $answer in
  *Success*) printf '%s\n' "$answer" | tail -n 1 ;;
  *)
    printf 'commit ssl cert %s: %s\n' "$cert" "$answer" >&2
    printf 'abort ssl cert %s\n' "$cert" | send >/dev/null || true
    exit 1
    ;;
esac
