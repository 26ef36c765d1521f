/** The `peer` command line: bin/peer.js runs main(). */
export { main } from './main.js'
