import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashFolder } from "../../../src/lab/folder-hash.js";
import { hostImageSpec, serviceImageSpecs, specHash, tagFileStem, tarballName } from "../../../src/lab/images.js";
import { mountsUnder } from "../../../src/lab/remove-tree.js";

describe("lab images", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "lab-images-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function write(rel: string, text: string): string {
    const file = join(root, rel);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  it("finds service folders with a Dockerfile, one tag per version, earlier folders first", () => {
    write("a/memcached/Dockerfile", "FROM x");
    write("a/webapp/Dockerfile", "FROM x");
    write("a/webapp/versions", "1.0\n1.1\n\n");
    write("a/notes/README", "no Dockerfile here");
    write("b/memcached/Dockerfile", "FROM y");
    write("b/haproxy/Dockerfile", "FROM y");
    const specs = serviceImageSpecs([join(root, "a"), join(root, "b"), join(root, "missing")]);
    assert.deepEqual(
      specs.map((s) => [s.tag, s.context.slice(root.length), s.buildArgs]),
      [
        ["lading/memcached:1.0", "/a/memcached", {}],
        ["lading/webapp:1.0", "/a/webapp", { VERSION: "1.0" }],
        ["lading/webapp:1.1", "/a/webapp", { VERSION: "1.1" }],
        ["lading/haproxy:1.0", "/b/haproxy", {}],
      ],
    );
    const [, v10, v11] = specs;
    assert.notEqual(specHash(v10!), specHash(v11!), "each version is its own image");
  });

  it("hashes a folder by content, names and executable bits", () => {
    const f = write("svc/Dockerfile", "FROM x");
    const entry = write("svc/entrypoint", "#!/bin/sh");
    const dir = join(root, "svc");
    const h0 = hashFolder(dir);
    assert.equal(hashFolder(dir), h0, "stable");
    chmodSync(entry, 0o755);
    const h1 = hashFolder(dir);
    assert.notEqual(h1, h0, "executable bit counts");
    writeFileSync(f, "FROM y");
    assert.notEqual(hashFolder(dir), h1, "content counts");
  });

  it("tags the default host image lading-lab/host and another host folder after its name", () => {
    assert.equal(hostImageSpec().tag, "lading-lab/host");
    assert.match(hostImageSpec().context, /\/lab\/host$/);
    assert.deepEqual(hostImageSpec("/x/Light_Host"), { tag: "lading-lab/host-light_host", context: "/x/Light_Host", buildArgs: {} });
  });

  it("names tarballs by tag and image id", () => {
    assert.equal(tagFileStem("lading/memcached:1.0"), "lading_memcached_1.0");
    assert.equal(tarballName({ tag: "lading/memcached:1.0", id: "sha256:0123456789abcdef0123" }), "lading_memcached_1.0@0123456789abcdef.tar");
  });

  it("lists mounts under a folder deepest first, not its siblings", () => {
    const mounts = [
      "proc /proc proc rw 0 0",
      "proc /lab/cache/rootfs.partial/proc proc rw 0 0",
      "sysfs /lab/cache/rootfs.partial/sys sysfs rw 0 0",
      "devpts /lab/cache/rootfs.partial/dev/pts devpts rw 0 0",
      "x /lab/cache/rootfs.partial2 tmpfs rw 0 0",
    ].join("\n");
    assert.deepEqual(mountsUnder("/lab/cache/rootfs.partial", mounts), [
      "/lab/cache/rootfs.partial/dev/pts",
      "/lab/cache/rootfs.partial/proc",
      "/lab/cache/rootfs.partial/sys",
    ]);
  });
});

describe("lab image inspection", () => {
  it("reads the id and the hash label, with or without labels", async () => {
    const { parseImageIdAndHash } = await import("../../../src/lab/images.js");
    assert.deepEqual(parseImageIdAndHash('sha256:ab {"dev.lading.lab.hash":"h1","x":"y"}\n'), { id: "sha256:ab", hash: "h1" });
    assert.deepEqual(parseImageIdAndHash("sha256:ab null\n"), { id: "sha256:ab", hash: "" });
    assert.deepEqual(parseImageIdAndHash("sha256:ab \n"), { id: "sha256:ab", hash: "" });
  });
});
