export function countPixels (args: readonly [selector: string, cssVar: string, tolerance: number]): number
export function horizontalOverflow (): number
export function bodyBackground (): string
export function readClipboard (): Promise<string>
