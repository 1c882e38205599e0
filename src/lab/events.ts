// What the lab reports while it works: the CLI prints these, tests assert on them.

export type LabStep =
  | "check"
  | "install"
  | "engine"
  | "base"
  | "build"
  | "save"
  | "network"
  | "host"
  | "load"
  | "inventory"
  | "up"
  | "down";

export interface LabEvent {
  step: LabStep;
  /** start: work begins; done: work finished; skip: nothing to do (the reason is in message). */
  status: "start" | "done" | "skip";
  message: string;
  /** The image (tag) or host the event is about, when there is one. */
  image?: string;
  host?: string;
  /** Milliseconds the work took (on done). */
  ms?: number;
}

export type LabEventSink = (event: LabEvent) => void;
