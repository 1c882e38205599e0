import assert from "node:assert/strict";
import { evaluateIniValue } from "../../../src/inventory/python-literal.js";

// Expected values are what Python 3.11's ast.literal_eval gives (Ansible keeps the text when it raises).
describe("evaluateIniValue (Ansible's literal_eval of INI values)", () => {
  const cases: [string, unknown][] = [
    ["23", 23],
    ["23 # note", 23],
    ["-5", -5],
    ["+1.5", 1.5],
    [".5", 0.5],
    ["1e3", 1000],
    ["0x10", 16],
    ["0o10", 8],
    ["0b101", 5],
    ["1_000", 1000],
    ["010", "010"],
    ["--5", "--5"],
    ["1j", "1j"],
    ["True", true],
    ["False", false],
    ["None", null],
    ["true", "true"],
    ["yes", "yes"],
    ["inf", "inf"],
    ["'03#pa'", "03#pa"],
    ['"a" "b"', "ab"],
    ['b"x"', "x"],
    ['r"a\\n"', "a\\n"],
    ['"tab\\there"', "tab\there"],
    ['"\\x41\\u00e9"', "Aé"],
    ["1,2", [1, 2]],
    ["(1,)", [1]],
    ["(7)", 7],
    ["[1, 'a', [True]]", [1, "a", [true]]],
    ["[1,]", [1]],
    ["{'a': 1, 'b': [2]}", { a: 1, b: [2] }],
    ["{1, 2}", [1, 2]],
    ["{}", {}],
    ["spaced value  # comment?", "spaced value  # comment?"],
    ["10.98.0.11", "10.98.0.11"],
    ["eth0", "eth0"],
    ["'unterminated", "'unterminated"],
    ["", ""],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(evaluateIniValue(text), expected);
    });
  }
});
