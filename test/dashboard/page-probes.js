// Functions the browser test runs inside the page (page.evaluate serialises them), kept in plain
// JavaScript because the project's TypeScript has no DOM types. Types in page-probes.d.ts.

/** Pixels of the canvases inside `selector` within `tolerance` (sum of RGB differences) of a CSS variable's colour. */
export function countPixels ([selector, cssVar, tolerance]) {
  const hex = getComputedStyle(document.documentElement).getPropertyValue(cssVar).trim().replace('#', '')
  const want = [0, 2, 4].map(i => parseInt(hex.slice(i, i + 2), 16))
  let count = 0
  for (const canvas of document.querySelectorAll(`${selector} canvas`)) {
    if (canvas.width === 0 || canvas.height === 0) continue
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data
    if (data === undefined) continue
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - want[0]) + Math.abs(data[i + 1] - want[1]) + Math.abs(data[i + 2] - want[2]) <= tolerance) count++
    }
  }
  return count
}

/** How far the page scrolls sideways (0 or less: it fits). */
export function horizontalOverflow () {
  return document.documentElement.scrollWidth - document.documentElement.clientWidth
}

export function bodyBackground () {
  return getComputedStyle(document.body).backgroundColor
}

export async function readClipboard () {
  return await navigator.clipboard.readText()
}
