// The rollout timeline as a picture (SVG): time runs left to right; one lane per service and host, grouped by
// service; each lane shows its batch, its steps (restarts and recreates stand out), the gates it waited on with
// how long, failures in red, and its state at the right end. Every lane carries data-service, data-host and
// data-state, so a test reads the same picture a person sees.
import type { Lane, Segment, Timeline } from "./timeline-model.js";

const SVG = "http://www.w3.org/2000/svg";
const LABEL_WIDTH = 190;
const STATE_WIDTH = 90;
const ROW = 24;
const HEADER = 22;
const AXIS = 26;

const STEP_COLORS: Record<string, string> = {
  write: "#4c78a8",
  restart: "#f58518",
  recreate: "#e45756",
  create: "#54a24b",
  start: "#54a24b",
  reload: "#72b7b2",
  pull: "#9d755d",
  stop: "#b279a2",
};
const STATE_COLORS: Record<Lane["state"], string> = { waiting: "#9aa4b1", active: "#2f6fdb", ok: "#2e9d5b", failed: "#d33a3a" };

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The timeline as an SVG element `width` wide; `now` ends the time axis of a run still going. */
export function renderTimeline(tl: Timeline, width: number, now: number = Date.now()): SVGSVGElement {
  const end = tl.done ? tl.end : Math.max(tl.end, now);
  const span = Math.max(1000, end - tl.start);
  const plotWidth = Math.max(200, width - LABEL_WIDTH - STATE_WIDTH);
  const x = (t: number): number => LABEL_WIDTH + ((t - tl.start) / span) * plotWidth;
  const rows: ({ service: string } | Lane)[] = [];
  for (const service of tl.services) {
    rows.push({ service });
    for (const l of tl.lanes) if (l.service === service) rows.push(l);
  }
  const height = AXIS + rows.reduce((h, r) => h + ("host" in r ? ROW : HEADER), 0) + 8;
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "timeline", role: "img", "aria-label": `rollout timeline of ${tl.command}` });
  const defs = el("defs", {});
  const hatch = el("pattern", { id: "gate-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  hatch.append(el("rect", { width: 6, height: 6, fill: "#e9defc" }), el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#8e6bd8", "stroke-width": 3 }));
  defs.append(hatch);
  svg.append(defs);

  // The time axis: a tick every "nice" number of seconds.
  const axis = el("g", { class: "axis" });
  const step = niceStep(span / 1000 / 8) * 1000;
  for (let t = 0; t <= span; t += step) {
    const px = x(tl.start + t);
    axis.append(el("line", { x1: px, y1: AXIS - 6, x2: px, y2: height, stroke: "#e4e7ec" }), el("text", { x: px, y: AXIS - 10, "text-anchor": "middle", class: "tick" }, formatSeconds(t)));
  }
  svg.append(axis);

  let y = AXIS;
  for (const r of rows) {
    if (!("host" in r)) {
      const g = el("g", { class: "service-header", "data-service": r.service });
      g.append(el("rect", { x: 0, y, width, height: HEADER, fill: "#f3f5f8" }), el("text", { x: 8, y: y + 15, class: "service-name" }, r.service));
      svg.append(g);
      y += HEADER;
      continue;
    }
    svg.append(laneGroup(r, y, x, width, end));
    y += ROW;
  }
  return svg;
}

function laneGroup(l: Lane, y: number, x: (t: number) => number, width: number, end: number): SVGGElement {
  const g = el("g", { class: "lane", "data-service": l.service, "data-host": l.host, "data-state": l.state, "data-restarts": l.restarts, "data-gates": l.gates.map((gt) => `${gt.gate}:${gt.passed ? "passed" : "failed"}`).join(",") });
  g.append(el("line", { x1: LABEL_WIDTH, y1: y + ROW - 0.5, x2: width - STATE_WIDTH, y2: y + ROW - 0.5, stroke: "#eef0f3" }));
  g.append(el("text", { x: 18, y: y + 16, class: "host-name" }, l.host));
  if (l.batch) {
    const bx = x(l.batch.start);
    const last = Math.max(l.batch.start, ...l.segments.map((s) => s.end ?? end));
    g.append(el("rect", { x: bx, y: y + 3, width: Math.max(2, x(last) - bx), height: ROW - 6, rx: 4, fill: "#eef3fb", stroke: "#c9d7ee", class: "batch" }));
    g.append(el("text", { x: LABEL_WIDTH - 10, y: y + 16, "text-anchor": "end", class: "batch-label" }, `batch ${l.batch.index}/${l.batch.total}`));
  }
  for (const s of l.segments) g.append(segmentShape(s, y, x, end));
  const color = STATE_COLORS[l.state];
  g.append(el("circle", { cx: width - STATE_WIDTH + 12, cy: y + ROW / 2, r: 6, fill: color, class: "state-dot" }));
  g.append(el("text", { x: width - STATE_WIDTH + 24, y: y + 16, class: `state state-${l.state}`, fill: color }, l.state === "ok" ? "success" : l.state));
  const title = el("title", {}, [`${l.service} on ${l.host}: ${l.state}`, ...l.gates.map((gt) => `gate ${gt.gate} ${(gt.ms / 1000).toFixed(1)}s ${gt.passed ? "passed" : "failed"}`), ...l.failures].join("\n"));
  g.append(title);
  return g;
}

function segmentShape(s: Segment, y: number, x: (t: number) => number, end: number): SVGGElement {
  const sx = x(s.start);
  const w = Math.max(3, x(s.end ?? end) - sx);
  const g = el("g", { class: `segment segment-${s.kind}`, "data-what": s.what, "data-state": s.state });
  if (s.kind === "gate") {
    g.append(el("rect", { x: sx, y: y + 6, width: w, height: ROW - 12, rx: 2, fill: s.state === "failed" ? "#f6c5c5" : "url(#gate-hatch)", stroke: s.state === "failed" ? "#d33a3a" : "#8e6bd8" }));
    if (w > 46) g.append(el("text", { x: sx + 4, y: y + 16, class: "gate-label" }, s.label));
  } else {
    const fill = s.state === "failed" ? "#d33a3a" : (STEP_COLORS[s.what] ?? "#6b7a90");
    g.append(el("rect", { x: sx, y: y + 5, width: w, height: ROW - 10, rx: 2, fill, opacity: s.state === "active" ? 0.6 : 1 }));
    if (s.what === "restart" || s.what === "recreate") g.append(el("path", { d: `M ${sx} ${y + 3} l 4 -3 l 4 3 z`, fill }));
  }
  g.append(el("title", {}, `${s.label}${s.end !== undefined ? ` (${((s.end - s.start) / 1000).toFixed(1)}s)` : " (running)"}`));
  return g;
}

function niceStep(seconds: number): number {
  for (const n of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]) if (n >= seconds) return n;
  return 3600;
}

function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
}

/** The legend of the picture's colors. */
export function timelineLegend(): HTMLElement {
  const div = document.createElement("div");
  div.className = "legend";
  const items: [string, string][] = [
    ["write", STEP_COLORS.write!],
    ["restart", STEP_COLORS.restart!],
    ["recreate", STEP_COLORS.recreate!],
    ["create/start", STEP_COLORS.create!],
    ["reload", STEP_COLORS.reload!],
    ["gate wait", "#8e6bd8"],
    ["failed", "#d33a3a"],
  ];
  for (const [name, color] of items) {
    const span = document.createElement("span");
    const sw = document.createElement("i");
    sw.style.background = color;
    span.append(sw, document.createTextNode(name));
    div.append(span);
  }
  return div;
}
