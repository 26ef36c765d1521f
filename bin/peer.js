#!/usr/bin/env node
// The installed `peer` command: runs the built CLI.
import { main } from '../dist/node/cli/index.js'

await main(process.argv)
