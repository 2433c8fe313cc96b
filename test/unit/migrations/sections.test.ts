import { describe, expect, it } from 'vitest';
import { splitSections } from '../../../src/migrations/sections.js';

const lines = (text: string) => text.split('\n');

describe('splitSections', () => {
  it('takes a file without markers as all up migration', () => {
    const sql = 'CREATE TABLE a (id int);\n';
    expect(splitSections(sql, '001_a.sql')).toEqual({ tool: undefined, up: sql, down: undefined, transaction: true, downTransaction: true });
  });

  it('reads dbmate sections, keeping line numbers', () => {
    const sql = '-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n';
    const sections = splitSections(sql, '20240101120001_a.sql');
    expect(sections.tool).toBe('dbmate');
    expect(lines(sections.up)[1]).toBe('CREATE TABLE a (id int);');
    expect(sections.up).not.toContain('DROP TABLE');
    expect(lines(sections.down!)[4]).toBe('DROP TABLE a;');
    expect(sections.down).not.toContain('CREATE TABLE');
    expect(lines(sections.up)).toHaveLength(lines(sql).length);
    expect(sections.transaction).toBe(true);
  });

  it("honours dbmate's transaction:false and refuses options it does not know", () => {
    expect(splitSections('-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON a (id);\n-- migrate:down\n', 'x.sql').transaction).toBe(false);
    expect(() => splitSections('-- migrate:up retries:3\nSELECT 1;\n', 'x.sql')).toThrow('dbmate option "retries:3" is not one astra knows');
  });

  it("reads dbmate's options per part", () => {
    const sections = splitSections('-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n', 'x.sql');
    expect(sections).toMatchObject({ transaction: true, downTransaction: false });
    expect(splitSections('-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\nSELECT 2;\n', 'x.sql')).toMatchObject({
      transaction: false,
      downTransaction: true,
    });
  });

  it('refuses the markers of a tool it does not read, rather than run their down part', () => {
    expect(() => splitSections('-- +migrate Up\nCREATE TABLE a (id int);\n-- +migrate Down\nDROP TABLE a;\n', 'x.sql')).toThrow(
      'x.sql, line 1: "-- +migrate Up" looks like an up/down marker of a tool astra does not read',
    );
    expect(() => splitSections('-- + goose Up\nSELECT 1;\n', 'x.sql')).toThrow('looks like an up/down marker');
  });

  it("takes node-pg-migrate's markers as node-pg-migrate does: any comment that begins so", () => {
    const sections = splitSections('-- Up Migration\nCREATE TABLE a (id int);\n---- Down Migration: drop it\nDROP TABLE a;\n', 'x.sql');
    expect(sections.up).not.toContain('DROP TABLE');
    expect(sections.down).toContain('DROP TABLE a;');
    // A plain file whose comment begins like a down marker is refused, never run with its "down" part.
    expect(() => splitSections('-- Down migration notes: none needed\nCREATE TABLE a (id int);\n', 'x.sql')).toThrow('the down part comes before any up part');
  });

  it('reads goose annotations, NO TRANSACTION and statement blocks', () => {
    const sql = [
      '-- +goose NO TRANSACTION',
      '-- +goose Up',
      '-- +goose StatementBegin',
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;',
      '-- +goose StatementEnd',
      '-- +goose Down',
      'DROP FUNCTION f();',
    ].join('\n');
    const sections = splitSections(sql, '00001_f.sql');
    expect(sections).toMatchObject({ tool: 'goose', transaction: false, downTransaction: false });
    expect(sections.up).toContain('CREATE FUNCTION');
    expect(sections.up).not.toContain('+goose');
    expect(sections.down).toContain('DROP FUNCTION');
    expect(() => splitSections('-- +goose Up\n-- +goose ENVSUB ON\nSELECT ${X};\n', 'x.sql')).toThrow('does not know the goose marker "-- +goose ENVSUB ON"');
  });

  it('reads node-pg-migrate sections', () => {
    const sections = splitSections('-- Up Migration\nCREATE TABLE b (id int);\n-- Down Migration\nDROP TABLE b;\n', '1700000000000_b.sql');
    expect(sections.tool).toBe('node-pg-migrate');
    expect(sections.up).toContain('CREATE TABLE b');
    expect(sections.down).toContain('DROP TABLE b');
  });

  it('treats an empty down part as none', () => {
    expect(splitSections('-- migrate:up\nSELECT 1;\n-- migrate:down\n\n', 'x.sql').down).toBeUndefined();
  });

  it('refuses what it cannot read for sure', () => {
    expect(() => splitSections('CREATE TABLE a (id int);\n-- migrate:up\nSELECT 1;\n', 'x.sql')).toThrow('x.sql, line 1: SQL before the up marker');
    expect(() => splitSections('-- migrate:down\nDROP TABLE a;\n', 'x.sql')).toThrow('the down part comes before any up part');
    expect(() => splitSections('-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n', 'x.sql')).toThrow('x.sql, line 3: a second up marker');
    expect(() => splitSections('-- migrate:up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n', 'x.sql')).toThrow("a goose marker in a file that uses dbmate's markers");
  });
});
