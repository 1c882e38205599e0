// Every command module, registered in the order `lading --help` lists them.
import type { Command } from "commander";
import { register as validate } from "./validate.js";
import { register as genconfig } from "./genconfig.js";
import { register as params } from "./params.js";
import { register as schemas } from "./schemas.js";
import { register as deploy } from "./deploy.js";
import { register as operate } from "./operate.js";
import { register as inventory } from "./inventory.js";
import { register as genpwd } from "./genpwd.js";
import { register as lab } from "./lab.js";
import { register as mariadbRecovery } from "./mariadb-recovery.js";
import { register as rabbitmqResetState } from "./rabbitmq-reset-state.js";
import { register as upgrade } from "./upgrade.js";
import { register as rollback } from "./rollback.js";
import { register as history } from "./history.js";
import { register as destroy } from "./destroy.js";
import { register as pruneImages } from "./prune-images.js";
import { register as lock } from "./lock.js";
import { register as bootstrapServers } from "./bootstrap-servers.js";

export function registerCommands(program: Command): void {
  validate(program);
  deploy(program);
  operate(program);
  mariadbRecovery(program);
  rabbitmqResetState(program);
  upgrade(program);
  rollback(program);
  history(program);
  destroy(program);
  pruneImages(program);
  lock(program);
  bootstrapServers(program);
  genconfig(program);
  inventory(program);
  genpwd(program);
  lab(program);
  params(program);
  schemas(program);
}
