#!/bin/sh
# Restarts the container engine with systemd, else through the init script.
systemctl restart docker 2>/dev/null || service docker restart
