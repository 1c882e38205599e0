import assert from "node:assert/strict";
import { parseInventory } from "../../../src/inventory/index.js";
import { names } from "./fixtures.js";

describe("inventory resolution (Ansible's precedence)", () => {
  // h1 is in `shallow` (depth 1) and in `deep` (depth 3: top -> middle -> deep).
  const text = [
    "[shallow]",
    "h1",
    "[deep]",
    "h1",
    "h2 level=host",
    "[middle:children]",
    "deep",
    "[top:children]",
    "middle",
    "[all:vars]",
    "level=all",
    "from_all=yes",
    "[shallow:vars]",
    "level=shallow",
    "shallow_only=1",
    "[top:vars]",
    "level=top",
    "[middle:vars]",
    "level=middle",
    "[deep:vars]",
    "level=deep",
  ].join("\n");

  it("a deeper group wins over a shallower one whatever the file order, the host over every group", () => {
    const inv = parseInventory("p.ini", text);
    const h1 = inv.hosts.get("h1")!;
    assert.equal(h1.vars.get("level")!.value, "deep");
    assert.equal(h1.vars.get("level")!.source.line, 21);
    assert.equal(h1.vars.get("shallow_only")!.value, 1);
    assert.equal(h1.vars.get("from_all")!.value, "yes");
    assert.equal(inv.hosts.get("h2")!.vars.get("level")!.value, "host");
    assert.deepEqual(inv.groupsOf("h1"), ["all", "shallow", "top", "middle", "deep"]);
  });

  it("at equal depth the group whose name sorts last wins; ansible_group_priority overrides the name", () => {
    const same = parseInventory("s.ini", "[b]\nh\n[a]\nh\n[a:vars]\nx=a\n[b:vars]\nx=b\n");
    assert.equal(same.hosts.get("h")!.vars.get("x")!.value, "b");
    const prioritized = parseInventory("s.ini", "[b]\nh\n[a]\nh\n[a:vars]\nx=a\nansible_group_priority=10\n[b:vars]\nx=b\n");
    assert.equal(prioritized.hosts.get("h")!.vars.get("x")!.value, "a");
    assert.equal(prioritized.groups.get("a")!.vars.has("ansible_group_priority"), false);
  });

  it("depth is the longest path from all (a group under two parents takes the deeper)", () => {
    const inv = parseInventory("d.ini", "[p1:children]\nkid\n[p2:children]\nmid\n[mid:children]\nkid\n[other]\nh\n[kid]\nh\n[other:vars]\nx=other\n[kid:vars]\nx=kid\n[mid:vars]\nx=mid\n");
    assert.equal(inv.hosts.get("h")!.vars.get("x")!.value, "kid");
    assert.deepEqual(inv.groupsOf("h"), ["all", "other", "p1", "p2", "mid", "kid"]);
    assert.deepEqual(inv.groups.get("kid")!.parents, ["p1", "mid"]);
  });

  it("hostsOf is transitive and in inventory order; groups list their direct hosts", () => {
    const inv = parseInventory("o.ini", "[b]\nz1\n[a]\ny1\nz1\n[top:children]\na\nb\n");
    assert.deepEqual(names(inv.hostsOf("top")), ["z1", "y1"]);
    assert.deepEqual(inv.groups.get("a")!.directHosts, ["z1", "y1"]);
    assert.deepEqual(names(inv.hostsOf("all")), ["z1", "y1"]);
    assert.deepEqual(inv.hostsOf("nosuch"), []);
  });

  it("maps connection vars set on groups to typed fields, the host's own value winning", () => {
    const inv = parseInventory("c.ini", "[g]\nh1\nh2 ansible_user=alice ansible_port=\"2022\"\n[g:vars]\nansible_user=kolla\nansible_python_interpreter=/usr/bin/python3\n");
    assert.equal(inv.hosts.get("h1")!.user, "kolla");
    assert.equal(inv.hosts.get("h2")!.user, "alice");
    assert.equal(inv.hosts.get("h2")!.port, 2022);
    assert.equal(inv.hosts.get("h1")!.vars.has("ansible_user"), false);
    assert.equal(inv.hosts.get("h1")!.ansibleVars.get("ansible_python_interpreter")!.value, "/usr/bin/python3");
    assert.equal(inv.hosts.get("h1")!.vars.has("ansible_python_interpreter"), false);
  });

  it("resolves 1000 hosts in many groups quickly (group closure computed once per group set)", () => {
    const lines: string[] = [];
    for (let g = 0; g < 50; g++) {
      lines.push(`[g${g}]`);
      for (let h = 0; h < 1000; h += 50) lines.push(`host${h + g}`);
      lines.push(`[g${g}:vars]`, `v${g}=${g}`);
      lines.push(`[svc${g}:children]`, `g${g}`, `g${(g + 1) % 50}`);
    }
    const t0 = performance.now();
    const inv = parseInventory("big.ini", lines.join("\n"));
    const ms = performance.now() - t0;
    assert.equal(inv.hosts.size, 1000);
    assert.equal(inv.hostsOf("svc3").length, 40);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});
