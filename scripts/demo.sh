#!/usr/bin/env bash
# The main job (`npm run demo`): bring up the local lab and deploy examples/lab onto it.
# The deployment is copied to .lading/demo (kept between runs: edit it and run `lading deploy -d .lading/demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
lading() { node bin/lading.js "$@"; }

lading lab up
if [ ! -d .lading/demo ]; then
  mkdir -p .lading
  cp -r examples/lab .lading/demo
  # A new deployment gets new secrets: it cannot adopt what another one (e.g. the e2e tests) left on the lab
  # hosts, so their lading containers, volumes and config go first. The hosts' image stores stay.
  for h in lab1 lab2 lab3; do
    lading lab exec "$h" -- sh -c 'docker ps -aq --filter label=lading.managed=true | xargs -r docker rm -f >/dev/null; docker volume ls -q | xargs -r docker volume rm -f >/dev/null; rm -rf /etc/lading'
  done
fi
lading genpwd -d .lading/demo
lading validate -d .lading/demo
lading deploy -d .lading/demo

vip=$(sed -n 's/^vip_address: *\([0-9.]*\).*/\1/p' .lading/demo/globals.yml)
cat <<MSG

The example cluster is up on the lab (hosts lab1..lab3, 10.98.0.11-13).
  web service:        http://${vip}:8080/        (through HAProxy on the keepalived VIP)
  database (Galera):  ${vip}:3306                 (one active node, the others backup)
  RabbitMQ management: http://${vip}:15672/
  deployment folder:  .lading/demo                (passwords in .lading/demo/passwords.yml, mode 0600)
Try: node bin/lading.js plan -d .lading/demo     |  node bin/lading.js lab status  |  node bin/lading.js lab down
MSG
