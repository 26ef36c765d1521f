// Lint config: typescript-eslint's recommended rules plus the project rules that keep the pure
// layers pure (no Math.random, no clock, no I/O in src/protocol, src/ledger and src/engine), keep
// the layers pointing down (docs/DESIGN.md "Layers", checked by test/lint-layers.test.ts) and keep
// files and functions small.
import tseslint from 'typescript-eslint'

// A relative import reaching into another top-level folder of src/, from any depth below src/.
const intoFolder = (folder) => `^(\\.\\./)+${folder}(/|$)`

const wrongWay = (folder, why) => ({ regex: intoFolder(folder), message: `Layers point down: ${why}.` })

// Pure layers do no I/O, so of Node's modules only node:crypto (hashing, signing) is theirs; the
// randomness in it stays outside, like Math.random.
const NODE_IO = { regex: '^node:(?!crypto$)', message: 'Pure layers do no I/O: only node:crypto (hashing, signing) is allowed.' }
const CRYPTO_RANDOMNESS = {
  name: 'node:crypto',
  importNames: ['randomBytes', 'randomFill', 'randomFillSync', 'randomInt', 'randomUUID', 'getRandomValues', 'generateKey', 'generateKeySync', 'generateKeyPair', 'generateKeyPairSync', 'generatePrime', 'generatePrimeSync', 'webcrypto'],
  message: 'Pure layers take no randomness: inject a seeded PRNG or the key.',
}
// No packages in pure layers (no level, libp2p, esbuild...), only what a listed exception allows.
const packagesExcept = (...allowed) => ({
  regex: `^(?![./]|node:${allowed.map(name => `|${name.replace(/\./g, '\\.')}$`).join('')})`,
  message: 'Pure layers import no packages (no storage, network or processes); src/node composes them.',
})

// The folders of src/node, one concern each (docs/DESIGN.md "Layers").
const NODE_FOLDERS = ['mesh', 'replication', 'blobs', 'evaluators', 'work', 'api', 'dashboard', 'cli', 'data-fetch']

const restrictImports = (paths, patterns) => ['error', { paths, patterns }]

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.d.ts', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/engine/**', 'src/ledger/**', 'src/protocol/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'The engine uses a seeded PRNG only.' },
        { object: 'Date', property: 'now', message: 'Pure layers take no clock; inject time.' },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'No wall clock in the pure layers.' },
        { selector: 'ImportExpression', message: 'Pure layers load no code at run time.' },
      ],
    },
  },
  {
    files: ['src/protocol/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([CRYPTO_RANDOMNESS], [
        wrongWay('ledger', 'src/protocol is the bottom layer and imports only src/protocol'),
        wrongWay('engine', 'src/protocol is the bottom layer and imports only src/protocol'),
        wrongWay('node', 'src/protocol is the bottom layer and imports only src/protocol'),
        wrongWay('dashboard', 'src/protocol is the bottom layer and imports only src/protocol'),
        NODE_IO,
        // A peer id is derived from its key without I/O; the key types are contracts only.
        packagesExcept('@libp2p/peer-id', '@libp2p/interface'),
        { regex: '^@libp2p/interface$', allowTypeImports: true, message: 'Only types from @libp2p/interface.' },
      ]),
    },
  },
  {
    files: ['src/ledger/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([CRYPTO_RANDOMNESS], [
        wrongWay('engine', 'src/ledger imports only src/protocol and src/ledger'),
        wrongWay('node', 'src/ledger imports only src/protocol and src/ledger'),
        wrongWay('dashboard', 'src/ledger imports only src/protocol and src/ledger'),
        NODE_IO,
        packagesExcept(),
      ]),
    },
  },
  {
    files: ['src/engine/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([CRYPTO_RANDOMNESS], [
        { regex: intoFolder('ledger'), allowTypeImports: true, message: 'Layers point down: src/engine takes only types from src/ledger (import type).' },
        wrongWay('node', 'src/engine imports only src/protocol, src/engine and types from src/ledger'),
        wrongWay('dashboard', 'src/engine imports only src/protocol, src/engine and types from src/ledger'),
        NODE_IO,
        packagesExcept(),
      ]),
    },
  },
  {
    // A folder of src/node is used from outside through its index.ts (what it offers the rest of
    // the peer); its other files are its own, free to change without touching other folders.
    files: ['src/node/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([], [
        { regex: `^\\.\\./(${NODE_FOLDERS.join('|')})/(?!index\\.js$)`, message: 'Import another src/node folder through its index.js.' },
        { regex: `^\\./(${NODE_FOLDERS.join('|')})/(?!index\\.js$)`, message: 'Import a src/node folder through its index.js.' },
      ]),
    },
  },
  {
    // The page is served as static files: it loads its own modules and nothing else (the chart
    // library comes in as a script tag); the API's types reach it through JSDoc only.
    files: ['src/dashboard/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrictImports([], [
        { regex: '^(?!\\./)', message: 'The dashboard page imports only its own modules (./x.js); the peer serves nothing else.' },
      ]),
    },
  },
  {
    files: ['src/**', 'scripts/**', 'bench/**'],
    rules: {
      // One concern a file, one step a function. The hot backtest kernel is the
      // one function allowed past it, with its reason beside it (src/engine/backtest-kernel.ts).
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
)
