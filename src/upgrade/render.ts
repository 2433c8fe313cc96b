import type { ChecklistItem } from './checks.js';
import type { UpgradePlan } from './plan.js';
import { formatBytes } from '../ui/format.js';

const SYMBOL: Record<ChecklistItem['status'], string> = { ok: '✔', warn: '⚠', fail: '✖', skipped: '–' };

export interface RenderInput {
  plan: UpgradePlan;
  items: ChecklistItem[];
  database: string;
  sizes: Map<string, { bytes: number; rows: number }>;
  backupCommand: string;
  rollbackCommand: string;
}

function describeVersion(version: string | null): string {
  return version ?? 'empty (no release applied)';
}

function releaseLines(plan: UpgradePlan, lines: string[]): void {
  for (const release of plan.releases) {
    if (release.migrations.length === 0) continue;
    lines.push(`  ${release.version} (${release.date})${release.stopApplication ? ' — the application must be stopped' : ''}`);
    for (const migration of release.migrations) {
      const outside = migration.outsideTransaction.length ? `; runs ${migration.outsideTransaction.join(', ')} outside a transaction` : '';
      lines.push(`    ${migration.safety === 'breaking' ? '✖ breaking' : '✔ safe    '}  ${migration.file}${outside}`);
      if (migration.reason) lines.push(`                ${migration.reason}`);
    }
  }
}

/** The plan and checklist as terminal text; a path over required stops, step by step. */
export function renderPlanText({ plan, items, database, sizes }: RenderInput): string {
  const lines: string[] = [];
  const steps = plan.steps;
  if (steps) {
    lines.push(
      `Upgrade path for ${database}: ${describeVersion(plan.from)} → ${steps.at(-1)!.to} takes ${steps.length} steps, one per required upgrade stop; run each only after the application of the step before it has run.`,
    );
    lines.push('', `Step 1 of ${steps.length}: astra upgrade --to ${plan.to}`);
  }
  lines.push(`Upgrade plan for ${database}: ${describeVersion(plan.from)} → ${plan.to}`);
  if (plan.pending.length === 0) lines.push('  Nothing to apply: the database is at the target version.');
  releaseLines(plan, lines);
  if (plan.tables.length > 0) {
    const described = plan.tables.map((table) => {
      const size = sizes.get(table);
      return size ? `${table} (${formatBytes(size.bytes)}, ~${size.rows} rows)` : table;
    });
    lines.push(`  Existing tables changed: ${described.join(', ')}`);
  }
  lines.push('', 'Pre-upgrade checklist:');
  for (const item of items) {
    lines.push(`  ${SYMBOL[item.status]} ${item.title}: ${item.detail}`);
    if (item.fix && item.status !== 'ok') lines.push(`      fix: ${item.fix}`);
  }
  steps?.slice(1).forEach((step, index) => {
    lines.push('', `Step ${index + 2} of ${steps.length}: astra upgrade --to ${step.to}`);
    lines.push(`Upgrade plan: ${describeVersion(step.from)} → ${step.to}`);
    releaseLines(step, lines);
    lines.push('  Its checklist runs when this step runs, on the database as the steps before it leave it.');
  });
  return lines.join('\n');
}

/** What a dry run says at the end of a path over required stops. */
export function pathVerdict(plan: UpgradePlan): string | undefined {
  if (!plan.steps) return undefined;
  return `The upgrade to ${plan.steps.at(-1)!.to} takes ${plan.steps.length} steps: ${plan.steps.map((step) => `astra upgrade --to ${step.to}`).join(', then ')}.`;
}

/** The same plan as a Markdown runbook a person follows or pastes. */
export function renderPlanMarkdown(input: RenderInput): string {
  const { plan, items, database, sizes } = input;
  const md: string[] = [];
  md.push(`# Upgrade ${database}: ${describeVersion(plan.from)} → ${plan.to}`, '');
  if (plan.steps) {
    md.push(
      `This is step 1 of ${plan.steps.length} on the way to ${plan.steps.at(-1)!.to}: each required upgrade stop is a step of its own (${plan.steps.map((step) => step.to).join(' → ')}).`,
      '',
    );
  }
  md.push(
    plan.breaking.length > 0
      ? `**This upgrade has ${plan.breaking.length} breaking migration(s): stop the application before step 2.**`
      : plan.stopApplication
        ? '**Stop the application before step 2.**'
        : 'Every migration is safe: the application can keep serving.',
    '',
  );
  md.push('## Before you start', '');
  for (const item of items) {
    md.push(
      `- [${item.status === 'ok' || item.status === 'skipped' ? 'x' : ' '}] ${item.title} — ${item.detail}${item.fix && item.status !== 'ok' ? ` (fix: ${item.fix})` : ''}`,
    );
  }
  md.push('', '## Steps', '');
  md.push('1. Back up the database (astra upgrade does this itself; to take one by hand):', '', '   ```sh', `   ${input.backupCommand}`, '   ```', '');
  md.push(
    `2. ${plan.stopApplication ? 'Stop the application, then apply' : 'Apply'} the upgrade:`,
    '',
    '   ```sh',
    `   astra upgrade --to ${plan.to}${plan.breaking.length || (plan.catalogDeletions ?? []).length ? ' --allow-breaking' : ''} --yes`,
    '   ```',
    '',
  );
  md.push('3. Verify:', '', '   ```sh', '   astra doctor', '   ```', '');
  md.push('4. If anything is wrong, go back:', '', '   ```sh', `   ${input.rollbackCommand}`, '   ```', '');
  md.push('## Migrations', '');
  if (plan.pending.length === 0) md.push('None: the database is at the target version.', '');
  else {
    md.push('| release | migration | safety | notes |', '| --- | --- | --- | --- |');
    for (const migration of plan.pending) {
      const notes = [migration.reason, migration.outsideTransaction.length ? `${migration.outsideTransaction.join(', ')} outside a transaction` : null]
        .filter(Boolean)
        .join('; ');
      md.push(`| ${migration.release} | \`${migration.file}\` | ${migration.safety} | ${notes} |`);
    }
    md.push('');
  }
  if (plan.breaking.length > 0) {
    md.push('## Breaking changes and what to do', '');
    for (const migration of plan.breaking) md.push(`- \`${migration.file}\` (${migration.release}): ${migration.reason ?? ''}`);
    md.push('');
  }
  plan.steps?.slice(1).forEach((step, index) => {
    md.push(`## Then step ${index + 2} of ${plan.steps!.length}: ${describeVersion(step.from)} → ${step.to}`, '');
    md.push(
      'Once the application of the step before has run:',
      '',
      '   ```sh',
      `   astra upgrade --to ${step.to}${step.breaking.length ? ' --allow-breaking' : ''} --yes`,
      '   ```',
      '',
    );
    for (const migration of step.pending) md.push(`- ${migration.release}: \`${migration.file}\` (${migration.safety})`);
    md.push('');
  });
  if (plan.tables.length > 0) {
    md.push('## Existing tables changed', '');
    for (const table of plan.tables) {
      const size = sizes.get(table);
      md.push(`- \`${table}\`${size ? ` — ${formatBytes(size.bytes)}, about ${size.rows} rows` : ''}`);
    }
    md.push('');
  }
  return md.join('\n');
}
