// The lab's images: the debootstrap base, the host image and the service images, each built only when the
// content of its folder changed (the folder hash is kept as an image label), then saved once per image id.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { LabError } from "../errors.js";
import { docker } from "./docker.js";
import type { LabEventSink } from "./events.js";
import { hashFolder } from "./folder-hash.js";
import { BASE_IMAGE, HASH_LABEL, HOST_IMAGE, hostImageContext, type LabLayout } from "./layout.js";
import { removeTree } from "./remove-tree.js";
import { killProcessesMentioning } from "./stray-processes.js";
import { runCommand, runOrThrow } from "./run-command.js";

/** One image to build from a folder. */
export interface ImageSpec {
  tag: string;
  context: string;
  buildArgs: Record<string, string>;
}

/** An image present in the lab engine. */
export interface BuiltImage {
  tag: string;
  id: string;
}

/** A saved image tarball, ready to load onto hosts. */
export interface SavedImage extends BuiltImage {
  /** The tarball's file name inside <labdir>/images. */
  file: string;
}

const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/** The Debian mirror of the lab's base image (and so of every lab host's apt sources): $LADING_LAB_MIRROR or deb.debian.org. */
export function labMirror(): string {
  return process.env.LADING_LAB_MIRROR || DEFAULT_MIRROR;
}

/** The fresh-host variant of the host image: lab/host built without docker.io, for bootstrap-servers to install it. */
export function freshHostImageSpec(): ImageSpec {
  return { tag: `${HOST_IMAGE}-fresh`, context: hostImageContext, buildArgs: { ENGINE_PACKAGE: "" } };
}

/** The host image: lab/host, or another build folder (tagged lading-lab/host-<folder name>). */
export function hostImageSpec(context?: string): ImageSpec {
  if (!context) return { tag: HOST_IMAGE, context: hostImageContext, buildArgs: {} };
  return { tag: `${HOST_IMAGE}-${tagFileStem(basename(context)).toLowerCase()}`, context, buildArgs: {} };
}

/**
 * The service images of the given folders (each `<svc>/Dockerfile`, tag `lading/<svc>:1.0`, or one tag per line
 * of `<svc>/versions` with the build arg VERSION). A service in an earlier folder hides one of the same name later.
 */
export function serviceImageSpecs(dirs: string[]): ImageSpec[] {
  const seen = new Set<string>();
  const specs: ImageSpec[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const svc of readdirSync(dir).sort()) {
      const context = join(dir, svc);
      if (seen.has(svc) || !existsSync(join(context, "Dockerfile"))) continue;
      seen.add(svc);
      const versionsFile = join(context, "versions");
      const versions = existsSync(versionsFile)
        ? readFileSync(versionsFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
        : [];
      if (versions.length === 0) specs.push({ tag: `lading/${svc}:1.0`, context, buildArgs: {} });
      for (const v of versions) specs.push({ tag: `lading/${svc}:${v}`, context, buildArgs: { VERSION: v } });
    }
  }
  return specs;
}

/** The hash an image built from this spec carries in its label. */
export function specHash(spec: ImageSpec): string {
  return hashFolder(spec.context, Object.entries(spec.buildArgs).map(([k, v]) => `${k}=${v}`));
}

/** The id and hash label of an image in the lab engine, or undefined when it does not exist. */
export async function inspectImage(tag: string): Promise<{ id: string; hash: string } | undefined> {
  const r = await runCommand(docker.imageIdAndLabels(tag));
  if (r.code !== 0) return undefined;
  return parseImageIdAndHash(r.stdout);
}

/** Reads `<id> <labels JSON>` (labels may be `null` or absent) into the id and the folder-hash label. */
export function parseImageIdAndHash(text: string): { id: string; hash: string } {
  const line = text.trim();
  const space = line.indexOf(" ");
  const id = space < 0 ? line : line.slice(0, space);
  const labelsJson = space < 0 ? "" : line.slice(space + 1).trim();
  const labels = (labelsJson ? JSON.parse(labelsJson) : null) as Record<string, string> | null;
  return { id, hash: labels?.[HASH_LABEL] ?? "" };
}

/** Makes sure the base image exists: from the cached rootfs tarball, or debootstrap it first. */
export async function ensureBaseImage(layout: LabLayout, emit: LabEventSink): Promise<BuiltImage> {
  const present = await inspectImage(BASE_IMAGE);
  if (present) {
    emit({ step: "base", status: "skip", image: BASE_IMAGE, message: `${BASE_IMAGE} is present` });
    return { tag: BASE_IMAGE, id: present.id };
  }
  mkdirSync(layout.cacheDir, { recursive: true });
  const rootfs = join(layout.cacheDir, "rootfs.partial");
  const partialTar = `${layout.baseTarball}.partial`;
  // Left over by an interrupted run: never trust them (and stop what still works in there).
  killProcessesMentioning(rootfs);
  await removeTree(rootfs);
  rmSync(partialTar, { force: true });

  const t0 = Date.now();
  if (!existsSync(layout.baseTarball)) {
    const mirror = labMirror();
    emit({ step: "base", status: "start", image: BASE_IMAGE, message: `debootstrap of Debian bookworm (minbase) from ${mirror}` });
    await runOrThrow(["debootstrap", "--variant=minbase", "bookworm", rootfs, mirror], "debootstrap");
    // Without the downloaded packages and package lists (about 130 MB): every image build runs apt-get update.
    const excludes = ["./var/cache/apt/archives/*.deb", "./var/lib/apt/lists/*_*"].map((p) => `--exclude=${p}`);
    await runOrThrow(["tar", "--numeric-owner", ...excludes, "-C", rootfs, "-cf", partialTar, "."], "packing the base rootfs");
    renameSync(partialTar, layout.baseTarball);
    await removeTree(rootfs);
  } else {
    emit({ step: "base", status: "start", image: BASE_IMAGE, message: `importing the cached rootfs ${layout.baseTarball}` });
  }
  await runOrThrow(docker.importImage(layout.baseTarball, BASE_IMAGE), `docker import of ${BASE_IMAGE}`);
  const built = await inspectImage(BASE_IMAGE);
  if (!built) throw new LabError(`${BASE_IMAGE} is missing right after its import`);
  emit({ step: "base", status: "done", image: BASE_IMAGE, message: `${BASE_IMAGE} ready`, ms: Date.now() - t0 });
  return { tag: BASE_IMAGE, id: built.id };
}

/** Builds the image unless the existing one carries the same folder hash. */
export async function ensureImage(spec: ImageSpec, emit: LabEventSink): Promise<BuiltImage> {
  const hash = specHash(spec);
  const present = await inspectImage(spec.tag);
  if (present && present.hash === hash) {
    emit({ step: "build", status: "skip", image: spec.tag, message: `${spec.tag} is up to date` });
    return { tag: spec.tag, id: present.id };
  }
  const t0 = Date.now();
  const why = present ? "its folder changed" : "not built yet";
  emit({ step: "build", status: "start", image: spec.tag, message: `building ${spec.tag} (${why})` });
  const env = { ...process.env, DOCKER_BUILDKIT: "0" };
  await runOrThrow(docker.build({ tag: spec.tag, context: spec.context, hash, buildArgs: spec.buildArgs }), `building ${spec.tag}`, { env });
  const built = await inspectImage(spec.tag);
  if (!built) throw new LabError(`${spec.tag} is missing right after its build`);
  emit({ step: "build", status: "done", image: spec.tag, message: `built ${spec.tag}`, ms: Date.now() - t0 });
  return { tag: spec.tag, id: built.id };
}

/** `lading/memcached:1.0` -> `lading_memcached_1.0`: a file-name-safe form of a tag. */
export function tagFileStem(tag: string): string {
  return tag.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** The tarball name of an image: its tag and the first hex digits of its id, so a new id means a new file. */
export function tarballName(image: BuiltImage): string {
  return `${tagFileStem(image.tag)}@${image.id.replace(/^sha256:/, "").slice(0, 16)}.tar`;
}

/** Removes tarballs an interrupted save left half-written. */
export function removePartialTarballs(layout: LabLayout): void {
  mkdirSync(layout.imagesDir, { recursive: true });
  for (const f of readdirSync(layout.imagesDir).filter((f) => f.endsWith(".partial"))) rmSync(join(layout.imagesDir, f), { force: true });
}

/** Saves an image once per id into <labdir>/images (older tarballs of the same tag are removed). */
export async function saveImage(layout: LabLayout, image: BuiltImage, emit: LabEventSink): Promise<SavedImage> {
  const file = tarballName(image);
  const path = join(layout.imagesDir, file);
  if (existsSync(path)) {
    emit({ step: "save", status: "skip", image: image.tag, message: `${image.tag} already saved` });
  } else {
    const t0 = Date.now();
    emit({ step: "save", status: "start", image: image.tag, message: `saving ${image.tag}` });
    await runOrThrow(docker.save(image.tag, `${path}.partial`), `docker save of ${image.tag}`);
    renameSync(`${path}.partial`, path);
    emit({ step: "save", status: "done", image: image.tag, message: `saved ${image.tag}`, ms: Date.now() - t0 });
  }
  const stem = `${tagFileStem(image.tag)}@`;
  for (const old of readdirSync(layout.imagesDir).filter((f) => f.startsWith(stem) && f !== file)) {
    rmSync(join(layout.imagesDir, old), { force: true });
  }
  return { ...image, file };
}
