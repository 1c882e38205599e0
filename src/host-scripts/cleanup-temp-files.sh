#!/bin/sh
# Removes every lading temporary file (.<name>.lading-tmp.<tag>) directly in the folder $1; prints how many.
n=0
for f in "$1"/.*.lading-tmp.*; do
  if [ -e "$f" ]; then rm -f -- "$f" && n=$((n + 1)); fi
done
echo "$n"
