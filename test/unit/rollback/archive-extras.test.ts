import { describe, expect, it } from 'vitest';
import { dropStatements, objectsNotInArchive, type LiveObject } from '../../../src/rollback/archive-extras.js';
import { parseToc } from '../../../src/pgtools/toc.js';

const LISTING = `;
; Archive created at 2026-11-22 05:12:34 UTC
;     dbname: appdb
;
; Selected TOC Entries:
;
5; 2615 2200 SCHEMA - billing app
848; 1247 16548 TYPE public order_state app
216; 1259 16525 TABLE public accounts app
215; 1259 16524 SEQUENCE public accounts_id_seq app
3380; 0 0 SEQUENCE OWNED BY public accounts_id_seq app
219; 1259 16566 VIEW public open_orders app
220; 1259 16570 MATERIALIZED VIEW public totals app
221; 1259 16571 TABLE billing invoice lines app
3371; 0 16525 TABLE DATA public accounts app
3222; 2606 16532 CONSTRAINT public accounts accounts_pkey app
`;

describe('parseToc', () => {
  it('reads schemas, types and relations, and leaves the rest out', () => {
    expect(parseToc(LISTING)).toEqual([
      { kind: 'SCHEMA', schema: null, name: 'billing' },
      { kind: 'TYPE', schema: 'public', name: 'order_state' },
      { kind: 'TABLE', schema: 'public', name: 'accounts' },
      { kind: 'SEQUENCE', schema: 'public', name: 'accounts_id_seq' },
      { kind: 'SEQUENCE OWNED BY', schema: 'public', name: 'accounts_id_seq' },
      { kind: 'VIEW', schema: 'public', name: 'open_orders' },
      { kind: 'MATERIALIZED VIEW', schema: 'public', name: 'totals' },
      { kind: 'TABLE', schema: 'billing', name: 'invoice lines' },
      { kind: 'TABLE DATA', schema: 'public', name: 'accounts' },
    ]);
  });
});

describe('objectsNotInArchive', () => {
  it('finds what was created after the backup', () => {
    const live: LiveObject[] = [
      { kind: 'TABLE', schema: 'public', name: 'accounts' },
      { kind: 'TABLE', schema: 'public', name: 'orders' },
      { kind: 'TYPE', schema: 'public', name: 'order_state' },
      { kind: 'TYPE', schema: 'public', name: 'order_kind' },
      { kind: 'SCHEMA', schema: null, name: 'billing' },
      { kind: 'SCHEMA', schema: null, name: 'reports' },
    ];
    expect(objectsNotInArchive(live, parseToc(LISTING))).toEqual([
      { kind: 'TABLE', schema: 'public', name: 'orders' },
      { kind: 'TYPE', schema: 'public', name: 'order_kind' },
      { kind: 'SCHEMA', schema: null, name: 'reports' },
    ]);
  });

  it('tells a view from a table of the same name', () => {
    expect(objectsNotInArchive([{ kind: 'VIEW', schema: 'public', name: 'accounts' }], parseToc(LISTING))).toHaveLength(1);
  });
});

describe('dropStatements', () => {
  it('drops with IF EXISTS and CASCADE, quoted, schemas last', () => {
    expect(
      dropStatements([
        { kind: 'SCHEMA', schema: null, name: 'reports' },
        { kind: 'MATERIALIZED VIEW', schema: 'public', name: 'Totals "2"' },
      ]),
    ).toBe('DROP MATERIALIZED VIEW IF EXISTS "public"."Totals ""2""" CASCADE;\nDROP SCHEMA IF EXISTS "reports" CASCADE;');
  });

  it('is a harmless statement when there is nothing to drop', () => {
    expect(dropStatements([])).toBe('SELECT 1;');
  });
});
