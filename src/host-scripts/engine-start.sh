#!/bin/sh
# Starts the container engine (and enables it at boot) with systemd, else through the init script.
systemctl enable --now docker 2>/dev/null || service docker start
