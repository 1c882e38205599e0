// Measures `lab up` from an empty lab directory (cold) and after `lab down` without purge (warm).
// Usage: node dist/bench/lab-up.js [cold|warm|both]   (root; tears the lab down first, leaves it up)
// Prints one JSON line per run: total seconds and the milliseconds of each finished step.
import { join } from "node:path";
import { labDown, labUp, type LabEvent } from "../src/lab/index.js";
import { serviceImagesDir } from "../src/lab/layout.js";
import { packageRoot } from "../src/paths.js";

// Same image folders as the e2e fixture (the test-only memcached stands in while lab/images lacks it);
// LAB_BENCH_IMAGES=<dir> puts another folder of service images first (e.g. a worktree's lab/images).
// (LADING_LAB_IMAGE_DIRS, which labUp reads by default, is overridden here by the explicit list.)
const imageDirs = [
  ...(process.env.LAB_BENCH_IMAGES ? [process.env.LAB_BENCH_IMAGES] : []),
  serviceImagesDir,
  join(packageRoot, "test", "fixtures", "lab-images"),
];

async function timeUp(label: string): Promise<number> {
  const steps: Record<string, number> = {};
  const t0 = Date.now();
  await labUp({
    hosts: 3,
    imageDirs,
    onEvent: (e: LabEvent) => {
      if (e.status === "done" && e.ms !== undefined) steps[`${e.step}${e.image ? ` ${e.image}` : e.host ? ` ${e.host}` : ""}`] = e.ms;
    },
  });
  const ms = Date.now() - t0;
  process.stdout.write(`${JSON.stringify({ run: label, seconds: ms / 1000, steps })}\n`);
  return ms;
}

const mode = process.argv[2] ?? "both";
if (mode === "cold" || mode === "both") {
  await labDown({ purge: true });
  await timeUp("cold");
}
if (mode === "warm" || mode === "both") {
  await labDown();
  await timeUp("warm");
}
