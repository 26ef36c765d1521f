#!/usr/bin/env node
// The installed `peer` command: runs the built CLI. The polyfill comes first because libp2p needs
// Promise.withResolvers, which Node 20 lacks, and ESM evaluates imports in this order.
import '../dist/node/polyfill.js'
import { main } from '../dist/node/cli/index.js'

await main(process.argv)
