/**
 * The local API's job-control routes (`peer jobs|cancel|priority|forget`), kept apart from the
 * server's own table: GET /v1/job-list; POST /v1/cancel {job}, /v1/priority {job, priority},
 * /v1/forget {job}. A POST needs the API token (the server refuses dashboard sessions).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseJobRefRequest, parsePriorityRequest } from './requests.js'
import type { JobControl } from '../peer-types.js'

interface JobRoute {
  readonly method: 'GET' | 'POST'
  readonly handle: (call: { req: IncomingMessage, res: ServerResponse }) => Promise<void>
}

export function jobControlRoutes (control: JobControl, readJson: (req: IncomingMessage) => Promise<unknown>, sendJson: (res: ServerResponse, status: number, body: unknown) => void): Array<[string, JobRoute]> {
  return [
    ['/v1/job-list', { method: 'GET', handle: async ({ req, res }) => {
      req.resume()
      sendJson(res, 200, await control.jobs())
    } }],
    ['/v1/cancel', { method: 'POST', handle: async ({ req, res }) => {
      const { job } = parseJobRefRequest(await readJson(req))
      sendJson(res, 200, await control.cancel(job))
    } }],
    ['/v1/priority', { method: 'POST', handle: async ({ req, res }) => {
      const { job, priority } = parsePriorityRequest(await readJson(req))
      sendJson(res, 200, await control.priority(job, priority))
    } }],
    ['/v1/forget', { method: 'POST', handle: async ({ req, res }) => {
      const { job } = parseJobRefRequest(await readJson(req))
      sendJson(res, 200, await control.forget(job))
    } }],
  ]
}
