import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FALLBACK_RULE, RULES } from '../../../src/analysis/registry.js';
import { analyzeFixture, ruleFixtures } from './helpers.js';

const docs = join(import.meta.dirname, '..', '..', '..', 'docs', 'rules');
const allRules = [...RULES, FALLBACK_RULE];

describe.each(allRules.map((rule) => [rule.id, rule] as const))('rule %s', (id, rule) => {
  it('has a kebab-case id, a doc with problem and fix, and ok/err fixtures', () => {
    expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    const doc = readFileSync(join(docs, `${id}.md`), 'utf8');
    expect(doc).toContain(`# ${id}`);
    expect(doc).toMatch(/## Problem/);
    expect(doc).toMatch(/## Why it hurts/);
    expect(doc).toMatch(/## What to write instead/);
    expect(existsSync(join(ruleFixtures, id, 'ok.sql'))).toBe(true);
    expect(existsSync(join(ruleFixtures, id, 'err.sql'))).toBe(true);
  });

  it('reports the err fixture', () => {
    const findings = analyzeFixture(id, 'err.sql').findings.filter((finding) => finding.rule === id);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(finding.verdict).toBe(rule.advice ? 'safe' : 'breaking');
      expect(finding.message.length).toBeGreaterThan(20);
      expect(finding.fix.length).toBeGreaterThan(20);
      expect(finding.line).toBeGreaterThan(0);
    }
  });

  it('says nothing about the ok fixture', () => {
    expect(analyzeFixture(id, 'ok.sql').findings.filter((finding) => finding.rule === id)).toEqual([]);
  });
});

describe('the registry', () => {
  it('lists each rule once, and a doc exists for no rule it lacks', () => {
    const ids = allRules.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    const documented = readFileSync(join(docs, 'README.md'), 'utf8');
    for (const id of ids) expect(documented).toContain(`(${id}.md)`);
  });
});
