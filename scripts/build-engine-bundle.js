// Writes dist/engine-bundle.js, the script evaluators run inside their isolates (see
// src/node/evaluators/engine-bundle.ts). Runs after tsc, from the compiled dist/.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildEngineBundle, ENGINE_BUNDLE_FILE } from '../dist/node/evaluators/engine-bundle.js'

writeFileSync(fileURLToPath(new URL(`../dist/${ENGINE_BUNDLE_FILE}`, import.meta.url)), buildEngineBundle())
