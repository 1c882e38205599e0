#!/bin/sh
# Installs docker.io from the distribution's own packages.
export DEBIAN_FRONTEND=noninteractive
apt-get update -q && apt-get install -y -q --no-install-recommends docker.io
