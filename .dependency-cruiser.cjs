/**
 * The layering of astra (STYLE.md, principle 11), checked on every test run:
 *
 *   cli → commands (flags in, rendering out) → the engine → the edges
 *   cli → commands/serve → serve/ (HTTP, over the library in src/index.ts)
 *
 * The engine is everything under src/ that is neither the CLI, its commands,
 * nor an edge. The edges talk to the world: db/ (the only user of pg),
 * pgtools/ and cluster/ (the only users of execa), ui/ (the only user of
 * listr2 and inquirer).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: modules that need each other belong in one module, or one of them is asking for a smaller piece.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-commands',
      severity: 'error',
      comment: 'Only the CLI wires commands; the engine and the library never reach up into them.',
      from: { path: '^src/', pathNot: '^src/(cli\\.ts|commands/)' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'doctor-parses-nothing',
      severity: 'error',
      comment:
        'doctor reads migrations with parser: unneeded: from a full parse cache no SQL parser is loaded, so its checks use the parse trees, never the parser or the analyzer (which call it).',
      from: { path: '^src/doctor/' },
      to: { path: '^src/(analysis/|sql-parser\\.ts$)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'src/cli.ts is the top: bin/ starts it, nothing in src/ imports it.',
      from: { path: '^src/', pathNot: '^src/cli\\.ts$' },
      to: { path: '^src/cli\\.ts$' },
    },
    {
      name: 'library-is-not-the-cli',
      severity: 'error',
      comment: 'The library entry point and the engine never load the CLI layer.',
      from: { path: '^src/(index|api/)' },
      to: { path: '^src/(cli\\.ts|commands/)' },
    },
    {
      name: 'edges-do-not-import-the-engine',
      severity: 'error',
      comment: 'db/, pgtools/, cluster/ and ui/ are the bottom layer: they know nothing of upgrades, backups, rollbacks, doctor or the analysis.',
      from: { path: '^src/(db|pgtools|cluster|ui)/' },
      to: { path: '^src/(api|upgrade|backup|rollback|doctor|analysis|migrations|release|engine|project)/' },
    },
    {
      name: 'only-db-uses-pg',
      severity: 'error',
      comment: 'SQL goes through src/db/ (the library entry point may name pg types).',
      from: { path: '^src/', pathNot: '^src/(db/|cluster/|index\\.ts|api/)' },
      to: { path: '^node_modules/pg/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-pgtools-and-cluster-use-execa',
      severity: 'error',
      comment: 'Child processes are started by src/pgtools/ (client tools) and src/cluster/ (the local server) only.',
      from: { path: '^src/', pathNot: '^src/(pgtools|cluster)/' },
      to: { path: '^node_modules/execa/' },
    },
    {
      name: 'only-serve-uses-fastify-and-prom-client',
      severity: 'error',
      comment: 'The HTTP server and its metrics live in src/serve/, an entry point beside the CLI that works through the library.',
      from: { path: '^src/', pathNot: '^src/serve/' },
      to: { path: '^node_modules/(fastify|@fastify/|prom-client)' },
    },
    {
      name: 'serve-is-an-entry-point',
      severity: 'error',
      comment: 'Only the serve command starts the server; the engine and the library never load it.',
      from: { path: '^src/', pathNot: '^src/(commands/|serve/)' },
      to: { path: '^src/serve/' },
    },
    {
      name: 'only-clickhouse-uses-its-client',
      comment: 'ClickHouse is reached through src/clickhouse alone.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/clickhouse/' },
      to: { path: '^node_modules/@clickhouse/' },
    },
    {
      name: 'only-ui-uses-listr2-and-inquirer',
      severity: 'error',
      comment: 'Task lists and prompts are drawn by src/ui/ only.',
      from: { path: '^src/', pathNot: '^src/ui/' },
      to: { path: '^node_modules/(listr2|inquirer)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};
