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

export function registerCommands(program: Command): void {
  validate(program);
  deploy(program);
  operate(program);
  mariadbRecovery(program);
  rabbitmqResetState(program);
  genconfig(program);
  inventory(program);
  genpwd(program);
  lab(program);
  params(program);
  schemas(program);
}
