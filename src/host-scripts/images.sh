#!/bin/sh
# Every image with its tags and digests, then the image of every container (src/lifecycle/prune.ts). No parameters.
images=$(docker image ls --quiet --no-trunc) || exit 3
containers=$(docker ps --all --quiet) || exit 3
printf '@@images\n'
# shellcheck disable=SC2046,SC2086 # $images is a list of image ids (no blanks)
if [ -n "$images" ]; then docker image inspect --format '{{.Id}} {{range .RepoTags}}{{.}},{{end}} {{range .RepoDigests}}{{.}},{{end}}' $(printf '%s\n' $images | sort -u) || exit 3; fi
printf '@@used\n'
# shellcheck disable=SC2086 # $containers is a list of container ids
if [ -n "$containers" ]; then docker inspect --format '{{.Image}}' $containers || exit 3; fi
printf '@@end\n'
