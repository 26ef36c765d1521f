#!/usr/bin/env node
// Part of the build, after tsc: copies the dashboard page (src/dashboard: HTML, CSS, plain ES
// modules) and the chart library's self-contained browser build, with its licence, into
// dist/dashboard. The peer serves them from there; nothing is fetched from elsewhere at run time.
// Usage: node scripts/build-dashboard.js [outDir]   (default dist)
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(resolve(root, process.argv[2] ?? 'dist'), 'dashboard')
const src = join(root, 'src', 'dashboard')
// The names src/node/dashboard/assets.ts serves.
const VENDOR_SCRIPT = 'lightweight-charts.standalone.production.js'
const VENDOR_LICENSE = 'lightweight-charts.LICENSE.txt'

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'vendor'), { recursive: true })
const pages = readdirSync(src).filter(name => /^[a-z0-9-]+\.(js|css|html)$/.test(name))
for (const name of pages) copyFileSync(join(src, name), join(out, name))
const lib = dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json'))
copyFileSync(join(lib, 'dist', VENDOR_SCRIPT), join(out, 'vendor', VENDOR_SCRIPT))
copyFileSync(join(lib, 'LICENSE'), join(out, 'vendor', VENDOR_LICENSE))
console.log(`dashboard: ${pages.length} files and the chart library copied to ${out}`)
