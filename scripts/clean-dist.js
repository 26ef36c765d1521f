#!/usr/bin/env node
// npm runs this before it packs (prepack), and runs the build (prepare) right after it: the
// tarball then holds exactly what the current sources build, never a module left in dist/ by an
// older build whose source has since been moved or deleted.
// Usage: node scripts/clean-dist.js
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

rmSync(fileURLToPath(new URL('../dist', import.meta.url)), { recursive: true, force: true })
