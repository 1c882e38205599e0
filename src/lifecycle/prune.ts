// prune-images: the images of lading's repositories that nothing needs any more. Never one a container uses
// (running or not, lading's or not), one a recorded revision names (a rollback target), or one the desired
// state wants.
import { HostError } from "../errors.js";
import type { Transport } from "../transport/index.js";
import { hostScript } from "../host-scripts/index.js";

export interface HostImage {
  id: string;
  /** repo:tag references ("<none>:<none>" dropped). */
  tags: string[];
  digests: string[];
}

// Every image with its tags and digests, then the image id of every container (all of them, not only lading's).
// A failed listing fails the script: an empty answer must never read as "no images". ({{range}}, not {{join}}:
// Docker 20.10's templates refuse to join RepoTags.)
export const IMAGES_SCRIPT = hostScript("images.sh");

export function imagesArgv(): string[] {
  return ["sh", "-c", IMAGES_SCRIPT, "lading-images"];
}

export function parseImages(out: string): { images: HostImage[]; used: Set<string> } {
  if (!out.includes("@@end")) throw new Error("image listing is incomplete (no end marker)");
  const images: HostImage[] = [];
  const used = new Set<string>();
  let section = "";
  for (const line of out.split("\n")) {
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      section = m[1]!;
      continue;
    }
    if (!line.trim()) continue;
    if (section === "images") {
      const [id, tags = "", digests = ""] = line.trim().split(" ");
      images.push({ id: id!, tags: tags.split(",").filter((t) => t && !t.includes("<none>")), digests: digests.split(",").filter((d) => d && !d.includes("<none>")) });
    } else if (section === "used") used.add(line.trim());
  }
  return { images, used };
}

/** The repository of a reference: `reg:5000/lading/webapp:1.1` and `lading/webapp@sha256:..` -> `.../lading/webapp`. */
export function repositoryOf(ref: string): string {
  const noDigest = ref.replace(/@.*$/, "");
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

export interface PruneDecision {
  image: HostImage;
  remove: boolean;
  reason: string;
}

/**
 * Decides for each image of the host: kept when a container uses it, a revision names it (by id, digest or
 * reference) or the desired state wants it; removed when it belongs to one of lading's repositories and
 * nothing needs it; images of other repositories are never touched. Pure.
 */
export function decidePrune(
  images: HostImage[],
  used: Set<string>,
  keep: { revisionRefs: Set<string>; desiredRefs: Set<string>; repositories: Set<string> },
): PruneDecision[] {
  return images.map((image) => {
    const refs = [image.id, ...image.tags, ...image.digests];
    if (used.has(image.id)) return { image, remove: false, reason: "used by a container" };
    if (refs.some((r) => keep.revisionRefs.has(r))) return { image, remove: false, reason: "needed by a recorded revision (rollback)" };
    if (image.tags.some((t) => keep.desiredRefs.has(t)) || image.digests.some((d) => keep.desiredRefs.has(d)) || keep.desiredRefs.has(image.id))
      return { image, remove: false, reason: "wanted by the deployment" };
    const repos = [...image.tags, ...image.digests].map(repositoryOf);
    if (!repos.length || !repos.some((r) => keep.repositories.has(r))) return { image, remove: false, reason: "not one of lading's repositories" };
    return { image, remove: true, reason: "no container, revision or service needs it" };
  });
}

/** How to remove an image: by id when it has at most one tag, else every tag (docker refuses an id with many). */
export function removeImageArgvs(image: HostImage): string[][] {
  if (image.tags.length <= 1) return [["docker", "image", "rm", image.id]];
  return image.tags.map((t) => ["docker", "image", "rm", t]);
}

export async function listImages(t: Transport): Promise<{ images: HostImage[]; used: Set<string> }> {
  const r = await t.exec(imagesArgv(), { become: true });
  if (r.code !== 0) throw new HostError(t.host, `listing images failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)}`);
  return parseImages(r.stdout);
}
