import assert from "node:assert/strict";
import { databaseRegistrationSql, sqlIdentifier, sqlString } from "../../../src/apply/registrations.js";

describe("registration SQL", () => {
  it("escapes quotes and backslashes in strings and backquotes in identifiers", () => {
    assert.equal(sqlString(`a'b\\c`), `'a\\'b\\\\c'`);
    assert.equal(sqlIdentifier("we`ird"), "`we``ird`");
  });
  it("creates the database and user idempotently and sets the password", () => {
    const sql = databaseRegistrationSql("web", "webuser", "pw'1");
    assert.match(sql, /CREATE DATABASE IF NOT EXISTS `web`;/);
    assert.match(sql, /CREATE USER IF NOT EXISTS 'webuser'@'%' IDENTIFIED BY 'pw\\'1';/);
    assert.match(sql, /ALTER USER 'webuser'@'%' IDENTIFIED BY 'pw\\'1';/);
    assert.match(sql, /GRANT ALL PRIVILEGES ON `web`\.\* TO 'webuser'@'%';/);
  });
});
