#!/bin/sh
# The run's last exec on a host (src/lifecycle/finish-run.ts says what arrives on stdin): $1 lading's folder.
d=$1
{ [ -d "$d" ] || mkdir -p "$d"; } && chmod 0700 "$d" || exit 3
umask 077
tmp="$d/.finish.$$"
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" || exit 3
case "$(tail -n 1 "$tmp")" in
"E "[0-9]*) ;;
*) echo "the run's final records arrived incomplete: nothing was written" >&2; exit 4 ;;
esac
while IFS= read -r line; do
  op=${line%% *}; rest=${line#* }
  case "$op" in
  W)
    mode=${rest%% *}; path=${rest#* }; IFS= read -r body
    new="$path.lading-new"
    { [ -d "${path%/*}" ] || mkdir -p "${path%/*}"; } || exit 5
    if [ -e "$new" ]; then rm -f "$new" || exit 5; fi
    base64 -d > "$new" <<LADING_BODY || exit 5
$body
LADING_BODY
    case "$mode" in 600|0600) ;; *) chmod "$mode" "$new" || exit 5 ;; esac
    mv -f "$new" "$path" || exit 5 ;;
  A)
    path=$rest; IFS= read -r body
    { [ -d "${path%/*}" ] || mkdir -p "${path%/*}"; } || exit 5
    base64 -d >> "$path" <<LADING_BODY || exit 5
$body
LADING_BODY
    chmod 0600 "$path" || exit 5 ;;
  U)
    id=${rest%% *}; path=${rest#* }; ours=""
    if [ -f "$path" ]; then
      while IFS= read -r held || [ -n "$held" ]; do case $held in *"\"$id\""*) ours=1 ;; esac; done < "$path"
    fi
    if [ -n "$ours" ]; then rm -f "$path"; fi ;;
  E) ;;
  esac
done < "$tmp"
echo DONE
