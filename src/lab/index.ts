// The lab's library API: what the CLI, the end-to-end tests and the benchmarks call.
export { labUp, type LabUpOptions } from "./up.js";
export { labDown, type LabDownOptions } from "./down.js";
export { labStatus, type LabState } from "./status.js";
export { labStopHost, labStartHost, labCutHost, labHealHost, labExec } from "./host-control.js";
export type { LabEvent, LabStep } from "./events.js";
export type { LabHost } from "./hosts.js";
export type { CommandResult } from "./run-command.js";
export { labLayout, defaultLabDir, labHostName, labHostAddress, type LabLayout } from "./layout.js";
export { startExtraHost, removeExtraHost, type ExtraHost } from "./extra-host.js";
export { startAptProxy, type AptProxy } from "./apt-proxy.js";
export { freshHostImageSpec, ensureImage, labMirror } from "./images.js";
