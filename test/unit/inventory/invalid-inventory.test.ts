import assert from "node:assert/strict";
import { InputError, type Problem } from "../../../src/errors.js";
import { loadInventory, parseInventory } from "../../../src/inventory/index.js";

/** The problems an inventory text raises, as `line:column path: message`. */
function problems(file: string, text: string): string[] {
  try {
    parseInventory(file, text);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    for (const p of err.problems) assert.equal(p.file, file);
    return err.problems.map((p: Problem) => `${p.line}:${p.column} ${p.path ?? ""}: ${p.message}`);
  }
  assert.fail("the inventory was accepted");
}

const LADING = (body: string): string => `defaults:\n  user: root\n${body}`;

describe("invalid inventories", () => {
  const cases: [string, string, string, string[]][] = [
    // [title, file name, text, expected problems]
    ["unknown key (YAML)", "inventory.yml", LADING("hosts:\n  lab1:\n    address: 10.0.0.1\n    adress: 10.0.0.2\n"), ['6:5 hosts/lab1/adress: unknown key "adress"']],
    ["port of the wrong type (YAML)", "inventory.yml", LADING("hosts:\n  lab1: { address: 10.0.0.1, port: \"ssh\" }\n"), ['4:36 hosts/lab1/port: must be integer, got the string "ssh"']],
    ["port out of range (YAML)", "inventory.yml", LADING("hosts:\n  lab1:\n    address: 10.0.0.1\n    port: 70000\n"), ["6:11 hosts/lab1/port: must be <= 65535"]],
    ["host in a group but not defined (YAML)", "inventory.yml", LADING("hosts:\n  lab1: { address: 10.0.0.1 }\ngroups:\n  control:\n    hosts: [lab1, lab9]\n"), ['7:19 groups/control/hosts/1: host "lab9" is not defined under hosts']],
    ["cycle in children (YAML)", "inventory.yml", "groups:\n  a: { children: [b] }\n  b: { children: [c] }\n  c: { children: [a] }\n", ["2:19 groups/a/children/0: group children form a cycle: a -> b -> c -> a"]],
    ["undefined child group (YAML)", "inventory.yml", "groups:\n  mariadb: { children: [contrl] }\n", ['2:25 groups/mariadb/children/0: child group "contrl" of "mariadb" is not defined']],
    ["duplicate host key (YAML)", "inventory.yml", "hosts:\n  lab1: { address: 10.0.0.1 }\n  lab1: { address: 10.0.0.2 }\n", ["3:3 : invalid YAML: Map keys must be unique"]],
    ["missing address (YAML)", "inventory.yml", "hosts:\n  lab1: { port: 22 }\n", ['2:9 hosts/lab1: missing required key "address" (only a host with connection: local may omit it)']],
    ["duplicate address and port (YAML)", "inventory.yml", "hosts:\n  lab1: { address: 10.0.0.1 }\n  lab2: { address: 10.0.0.1 }\n", ['3:20 hosts/lab2/address: hosts "lab1" and "lab2" have the same address and port (10.0.0.1:22)']],
    ["group named like a host (YAML)", "inventory.yml", "hosts:\n  db: { address: 10.0.0.1 }\ngroups:\n  db: { hosts: [db] }\n", ['4:3 groups/db: "db" is both a group and a host (defined at line 2): rename one']],
    ["connection var in lading vars (YAML)", "inventory.yml", "hosts:\n  lab1:\n    address: 10.0.0.1\n    vars: { ansible_port: 2222 }\n", ['4:13 hosts/lab1/vars/ansible_port: "ansible_port" is a connection setting: write it as hosts/lab1/port']],
    ["bad range [3:1] (INI)", "multinode", "[control]\ncontrol[3:1]\n", ["2:1 [control]/control[3:1]: host range [3:1]: begin must not exceed end"]],
    ["unterminated quote (INI)", "multinode", "[control]\nctl1 motd=\"hello\n", ['2:11 [control]: cannot read host line: no closing quotation (")']],
    ["section with a bad name (INI)", "multinode", "[control nodes]\nctl1\n[web]\nweb1\n", ['1:1 [control nodes]: invalid section header "[control nodes]": write [group], [group:children] or [group:vars], with no spaces, ":" or "]" in the group name']],
    ["section of unknown type (INI)", "multinode", "[control:host]\nctl1\n", ['1:1 [control:host]: section [control:host] has unknown type "host" (use :children or :vars)']],
    ["cycle in children (INI)", "multinode", "[a:children]\nb\n[b:children]\na\n", ["2:1 [a:children]/b: group children form a cycle: a -> b -> a"]],
    ["undefined child group (INI)", "multinode", "[mariadb:children]\ncontrl\n", ['2:1 [mariadb:children]/contrl: section [mariadb:children] includes undefined group "contrl"']],
    ["vars for an undeclared group (INI)", "multinode", "[web:vars]\nport=80\n", ['1:1 [web:vars]: section [web:vars] is for group "web", which no [web] or [web:children] section declares']],
    ["port of the wrong type (INI)", "multinode", "[web]\nweb1 ansible_port=ssh\n", ['2:19 [web]/web1/ansible_port: the port must be an integer from 1 to 65535, got "ssh"']],
    ["port out of range from a group (INI)", "multinode", "[web]\nweb1\n[web:vars]\nansible_port=0\n", ["4:14 [web:vars]/ansible_port: port 0 is out of range (1-65535)"]],
    ["host word without = (INI)", "multinode", "[web]\nweb1 ansible_host=10.0.0.1 primary\n", ['2:28 [web]/web1: expected key=value after the host name, got "primary"']],
    ["vars line without = (INI)", "multinode", "[web]\nweb1\n[web:vars]\njust_a_word\n", ['4:1 [web:vars]: expected key=value in section [web:vars], got "just_a_word"']],
    ["group named like a host (INI)", "multinode", "[web]\nweb\n", ['1:1 [web]: "web" is both a group and a host (defined at line 2): rename one']],
    ["unsupported connection (INI)", "multinode", "[web]\nweb1 ansible_connection=docker\n", ['2:25 [web]/web1/ansible_connection: unsupported connection "docker": lading connects with "ssh" or "local"']],
    ["bad become (INI)", "multinode", "[web]\nweb1 ansible_become=maybe\n", ['2:21 [web]/web1/ansible_become: become must be a boolean (true/false, yes/no), got "maybe"']],
    ["host with a trailing colon (INI)", "multinode", "[web]\nweb1: ansible_host=x\n", ['2:1 [web]/web1:: invalid host "web1:": after ":" only a port number may follow']],
    ["unknown group key (Ansible YAML)", "hosts.yml", "all:\n  children:\n    web:\n      host:\n        web1:\n", ['4:7 all/children/web/host: unknown key "host" (a group has hosts, children and vars)']],
  ];
  for (const [title, file, text, expected] of cases) {
    it(title, () => {
      assert.deepEqual(problems(file, text), expected);
    });
  }

  it("reports every problem of a file at once", () => {
    const found = problems("multinode", "[web]\nweb1 ansible_port=ssh\nweb2 ansible_port=99999\n[db:children]\nnope\n");
    assert.deepEqual(found, [
      '2:19 [web]/web1/ansible_port: the port must be an integer from 1 to 65535, got "ssh"',
      "3:19 [web]/web2/ansible_port: port 99999 is out of range (1-65535)",
      '5:1 [db:children]/nope: section [db:children] includes undefined group "nope"',
    ]);
  });

  it("names a missing file", () => {
    assert.throws(
      () => loadInventory("/nonexistent/inventory.yml"),
      (e: unknown) => e instanceof InputError && e.problems[0]!.file === "/nonexistent/inventory.yml" && e.problems[0]!.message === "inventory file not found",
    );
  });
});
