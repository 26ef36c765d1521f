/**
 * The README's error-code tables, written from the error-code registry so the documentation
 * cannot miss or misstate a code. scripts/gen-readme.js writes them; a test checks they are current.
 */
import { ERROR_AREAS, ERROR_CODES, type ErrorArea, type ErrorCodeInfo } from '../../protocol/error-codes.js'

/** The candle-file codes, documented beside the import formats rather than in the main table. */
const DATA_AREA: ErrorArea = 'data'

function codesOf (area: ErrorArea): ErrorCodeInfo[] {
  return Object.values(ERROR_CODES).filter(c => c.area === area)
}

/** Codes side by side that mean the same thing share a row (`CSV_TOO_FEW_ROWS`, `JSON_TOO_FEW_ROWS`). */
function rowsByMeaning (codes: readonly ErrorCodeInfo[]): Array<{ codes: string, meaning: string }> {
  const rows: Array<{ codes: string[], meaning: string }> = []
  for (const c of codes) {
    const last = rows.at(-1)
    if (last !== undefined && last.meaning === c.meaning) last.codes.push(c.code)
    else rows.push({ codes: [c.code], meaning: c.meaning })
  }
  return rows.map(r => ({ codes: r.codes.map(code => `\`${code}\``).join(', '), meaning: r.meaning }))
}

/** The table of codes a candle file is refused with. */
export function dataCodeReference (): string {
  const lines = ['| Code | Problem |', '| --- | --- |']
  for (const r of rowsByMeaning(codesOf(DATA_AREA))) lines.push(`| ${r.codes} | ${r.meaning} |`)
  return lines.join('\n')
}

/** Every other code, a table per area, with the CLI's exit code and the local API's HTTP status. */
export function errorCodeReference (): string {
  const parts: string[] = []
  for (const [area, title] of Object.entries(ERROR_AREAS) as Array<[ErrorArea, string]>) {
    if (area === DATA_AREA) continue
    const lines = [`### ${title}`, '', '| Code | Meaning | Exit | HTTP |', '| --- | --- | --- | --- |']
    for (const c of codesOf(area)) lines.push(`| \`${c.code}\` | ${c.meaning}${c.breaksJob ? '; stops the job' : ''} | ${c.exit} | ${c.http} |`)
    parts.push(lines.join('\n'))
  }
  return parts.join('\n\n')
}
