// @ts-check
// Charts on TradingView's Lightweight Charts (the vendored standalone build sets
// window.LightweightCharts). Colours come from the page's CSS variables, so the charts follow the
// light or dark theme, and change with it while the page is open.

/** @typedef {typeof import('lightweight-charts')} ChartLibrary */
/** @typedef {import('lightweight-charts').IChartApi} ChartApi */
/** @typedef {import('lightweight-charts').UTCTimestamp} UTCTimestamp */
/** @typedef {import('lightweight-charts').LineData<UTCTimestamp>} Point */
/** @typedef {import('lightweight-charts').SeriesMarker<UTCTimestamp>} Marker */
/** @typedef {import('lightweight-charts').PriceFormat} PriceFormat */
/** @typedef {import('../node/dashboard/types.js').RowDetailView} RowDetailView */
/** @typedef {ReturnType<typeof themeColors>} ThemeColors */
/** @typedef {{ chart: ChartApi, restyle: (c: ThemeColors) => void }} ChartEntry */

/** @type {Set<ChartEntry>} */
const charts = new Set()

/** @returns {ChartLibrary} */
function lib () {
  const lc = /** @type {Window & { LightweightCharts?: ChartLibrary }} */ (window).LightweightCharts
  if (lc === undefined) throw new Error('the chart library did not load')
  return lc
}

export function themeColors () {
  const s = getComputedStyle(document.documentElement)
  /** @type {(name: string) => string} */
  const v = name => s.getPropertyValue(name).trim()
  return { bg: v('--card'), fg: v('--fg'), muted: v('--muted'), grid: v('--grid'), line: v('--line'), is: v('--is'), oos: v('--oos'), up: v('--up'), down: v('--down'), accent: v('--accent') }
}

/** @param {ThemeColors} c */
function themeOptions (c) {
  return {
    layout: { background: { type: /** @type {import('lightweight-charts').ColorType.Solid} */ ('solid'), color: c.bg }, textColor: c.fg, panes: { separatorColor: c.line } },
    grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
    rightPriceScale: { borderColor: c.line },
    timeScale: { borderColor: c.line },
  }
}

/**
 * @param {HTMLElement} el
 * @param {(c: ThemeColors) => void} restyle
 * @param {import('lightweight-charts').DeepPartial<import('lightweight-charts').HorzScaleOptions>} [timeScale]
 * @returns {ChartEntry}
 */
function create (el, restyle, timeScale = {}) {
  const c = themeColors()
  const base = themeOptions(c)
  const chart = lib().createChart(el, {
    autoSize: true,
    ...base,
    // The attribution the licence asks for is in the page's footer (notice and link): the logo
    // would need an inline <style>, which the page's Content-Security-Policy forbids.
    layout: { ...base.layout, fontSize: 11, attributionLogo: false },
    // A whole backtest must fit the width: up to thousands of points, far below the default half a pixel each.
    timeScale: { ...base.timeScale, timeVisible: true, secondsVisible: false, minBarSpacing: 0.01, ...timeScale },
    crosshair: { mode: 0 },
  })
  const entry = { chart, restyle }
  charts.add(entry)
  return entry
}

function restyleAll () {
  const c = themeColors()
  for (const { chart, restyle } of charts) {
    chart.applyOptions(themeOptions(c))
    restyle(c)
  }
}

window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', restyleAll)

/**
 * Milliseconds to the library's seconds, keeping times strictly increasing (it requires that).
 * @param {readonly number[]} times
 * @param {readonly (number | null | undefined)[]} values
 * @param {(v: number) => number} [map]
 * @returns {Point[]}
 */
export function toPoints (times, values, map = v => v) {
  /** @type {Point[]} */
  const out = []
  let last = -Infinity
  for (let i = 0; i < times.length; i++) {
    const t = /** @type {UTCTimestamp} */ (Math.floor(times[i] / 1000))
    if (t <= last || values[i] === null || values[i] === undefined) continue
    out.push({ time: t, value: map(/** @type {number} */ (values[i])) })
    last = t
  }
  return out
}

/** @type {(digits: number) => import('lightweight-charts').PriceFormatCustom} */
const percent = digits => ({ type: 'custom', minMove: 10 ** -digits, formatter: v => `${v.toFixed(digits)}%` })

/**
 * One line over time (evaluations per second, best fitness).
 * @param {HTMLElement} el
 * @param {keyof ThemeColors} [colour]
 * @param {PriceFormat} [format]
 */
export function lineChart (el, colour = 'accent', format = { type: 'price', precision: 2, minMove: 0.01 }) {
  /** @type {import('lightweight-charts').ISeriesApi<'Line', import('lightweight-charts').Time>} */
  let series
  const entry = create(el, c => series.applyOptions({ color: c[colour] }), { secondsVisible: true })
  series = entry.chart.addSeries(lib().LineSeries, { color: themeColors()[colour], lineWidth: 2, priceFormat: format })
  return {
    /** @param {Point[]} points */
    set (points) {
      series.setData(points)
      entry.chart.timeScale().fitContent()
    },
  }
}

/** Equity (as return %) and drawdown (%) of the in-sample and out-of-sample ranges, in two panes. */
/** @param {HTMLElement} el */
export function equityChart (el) {
  /** @type {Record<'isEq' | 'oosEq' | 'isDd' | 'oosDd', import('lightweight-charts').ISeriesApi<'Line' | 'Area', import('lightweight-charts').Time>>} */
  const s = {}
  const entry = create(el, c => {
    s.isEq.applyOptions({ color: c.is })
    s.oosEq.applyOptions({ color: c.oos })
    s.isDd.applyOptions({ lineColor: c.is, topColor: `${c.is}55`, bottomColor: `${c.is}10` })
    s.oosDd.applyOptions({ lineColor: c.oos, topColor: `${c.oos}55`, bottomColor: `${c.oos}10` })
  })
  const c = themeColors()
  const { LineSeries, AreaSeries } = lib()
  s.isEq = entry.chart.addSeries(LineSeries, { color: c.is, lineWidth: 2, priceFormat: percent(1), title: 'in-sample' }, 0)
  s.oosEq = entry.chart.addSeries(LineSeries, { color: c.oos, lineWidth: 2, priceFormat: percent(1), title: 'out-of-sample' }, 0)
  /** @type {(colour: string) => import('lightweight-charts').AreaSeriesPartialOptions} */
  const dd = colour => ({ lineColor: colour, topColor: `${colour}55`, bottomColor: `${colour}10`, lineWidth: 1, invertFilledArea: true, priceFormat: percent(1) })
  s.isDd = entry.chart.addSeries(AreaSeries, dd(c.is), 1)
  s.oosDd = entry.chart.addSeries(AreaSeries, dd(c.oos), 1)
  entry.chart.panes()[1]?.setStretchFactor(0.45)
  /** @type {(v: number) => number} */
  const asReturn = v => (v - 1) * 100
  /** @type {(v: number) => number} */
  const asPercent = v => v * 100
  return {
    /** @param {RowDetailView} detail */
    set (detail) {
      s.isEq.setData(toPoints(detail.inSample.equity.time, detail.inSample.equity.value, asReturn))
      s.oosEq.setData(toPoints(detail.outOfSample.equity.time, detail.outOfSample.equity.value, asReturn))
      s.isDd.setData(toPoints(detail.inSample.drawdown.time, detail.inSample.drawdown.value, asPercent))
      s.oosDd.setData(toPoints(detail.outOfSample.drawdown.time, detail.outOfSample.drawdown.value, asPercent))
      entry.chart.timeScale().fitContent()
    },
  }
}

/**
 * Index of the last candle opening at or before t (seconds); candles sorted by time.
 * @param {readonly number[]} times
 * @param {number} t
 */
function bucketOf (times, t) {
  let lo = 0
  let hi = times.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (times[mid] <= t) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Above this many trades only entries are marked: exits too would hide the candles. */
const MARK_EXITS_UP_TO = 150

/** The job's candles (merged when there are many) with the row's trades as markers. */
/** @param {HTMLElement} el */
export function candleChart (el) {
  /** @type {import('lightweight-charts').ISeriesApi<'Candlestick', import('lightweight-charts').Time>} */
  let series
  /** @type {import('lightweight-charts').ISeriesMarkersPluginApi<import('lightweight-charts').Time>} */
  let markers
  /** @type {Array<{ side: 1 | -1, open: boolean, entry: UTCTimestamp, exit: UTCTimestamp }> & { split?: UTCTimestamp }} */
  let trades = []
  /** @param {ThemeColors} c */
  const markerList = (c) => {
    /** @type {Marker[]} */
    const out = []
    for (const t of trades) {
      const long = t.side === 1
      out.push({ time: t.entry, position: long ? 'belowBar' : 'aboveBar', shape: long ? 'arrowUp' : 'arrowDown', color: long ? c.up : c.down, size: 0.8 })
      if (!t.open && trades.length <= MARK_EXITS_UP_TO) out.push({ time: t.exit, position: long ? 'aboveBar' : 'belowBar', shape: 'circle', color: c.muted, size: 0.5 })
    }
    if (trades.split !== undefined) out.push({ time: trades.split, position: 'aboveBar', shape: 'square', color: c.oos, text: 'out-of-sample', size: 1 })
    return out.sort((a, b) => a.time - b.time)
  }
  const entry = create(el, c => {
    series.applyOptions({ upColor: c.up, downColor: c.down, wickUpColor: c.up, wickDownColor: c.down, borderVisible: false })
    markers.setMarkers(markerList(c))
  })
  const c = themeColors()
  series = entry.chart.addSeries(lib().CandlestickSeries, { upColor: c.up, downColor: c.down, wickUpColor: c.up, wickDownColor: c.down, borderVisible: false })
  markers = lib().createSeriesMarkers(series, [])
  return {
    /** @param {RowDetailView} detail */
    set (detail) {
      const k = detail.candles
      const bars = []
      /** @type {UTCTimestamp[]} */
      const times = []
      let last = -Infinity
      for (let i = 0; i < k.time.length; i++) {
        const t = /** @type {UTCTimestamp} */ (Math.floor(k.time[i] / 1000))
        if (t <= last) continue
        bars.push({ time: t, open: k.open[i], high: k.high[i], low: k.low[i], close: k.close[i] })
        times.push(t)
        last = t
      }
      series.setData(bars)
      /** @type {(ms: number) => UTCTimestamp} */
      const at = ms => times[bucketOf(times, Math.floor(ms / 1000))]
      trades = [...detail.inSample.trades, ...detail.outOfSample.trades].map(t => ({ side: t.side, open: t.open, entry: at(t.entryTime), exit: at(t.exitTime) }))
      trades.split = detail.outOfSample.to > detail.outOfSample.from ? at(detail.split.time) : undefined
      markers.setMarkers(markerList(themeColors()))
      entry.chart.timeScale().fitContent()
    },
  }
}

/** @typedef {import('../node/dashboard/walk-forward-view.js').WalkForwardBoard} WalkForwardBoard */

/**
 * A walk-forward job's stitched out-of-sample equity (as return %), with each window's test range
 * shaded (alternating, behind the line) and its start marked with the window's number.
 * @param {HTMLElement} el
 */
export function walkForwardChart (el) {
  /** @type {import('lightweight-charts').ISeriesApi<'Line', import('lightweight-charts').Time>} */
  let line
  /** @type {import('lightweight-charts').ISeriesApi<'Histogram', import('lightweight-charts').Time>} */
  let shade
  /** @type {import('lightweight-charts').ISeriesMarkersPluginApi<import('lightweight-charts').Time>} */
  let markers
  /** @type {WalkForwardBoard | null} */
  let shown = null
  /** @param {ThemeColors} c */
  const draw = c => {
    if (shown === null) return
    const wf = shown
    const eq = wf.equity ?? { time: [], value: [] }
    const points = toPoints(eq.time, eq.value, v => (v - 1) * 100)
    line.setData(points)
    /** @type {(t: number) => number} the window whose test range holds t (seconds), or -1 */
    const windowAt = t => wf.windows.findIndex(w => w.time !== null && t >= Math.floor(w.time.testFrom / 1000) && t <= Math.floor(w.time.testLast / 1000))
    shade.setData(points.map(p => {
      const k = windowAt(p.time)
      return { time: p.time, value: 1, color: k < 0 ? 'transparent' : `${k % 2 === 0 ? c.oos : c.is}22` }
    }))
    /** @type {Marker[]} */
    const marks = []
    for (const w of wf.windows) {
      if (w.time === null) continue
      const from = Math.floor(w.time.testFrom / 1000)
      const first = points.find(p => p.time >= from)
      if (first !== undefined) marks.push({ time: first.time, position: 'aboveBar', shape: 'arrowDown', color: c.muted, text: `window ${w.window}`, size: 0.6 })
    }
    markers.setMarkers(marks)
    entry.chart.timeScale().fitContent()
  }
  const entry = create(el, c => {
    line.applyOptions({ color: c.oos })
    draw(c)
  })
  const c = themeColors()
  const { LineSeries, HistogramSeries } = lib()
  shade = entry.chart.addSeries(HistogramSeries, { priceScaleId: 'windows', priceLineVisible: false, lastValueVisible: false })
  entry.chart.priceScale('windows').applyOptions({ visible: false, scaleMargins: { top: 0, bottom: 0 } })
  line = entry.chart.addSeries(LineSeries, { color: c.oos, lineWidth: 2, priceFormat: percent(1), title: 'stitched out-of-sample' })
  markers = lib().createSeriesMarkers(line, [])
  return {
    /** @param {WalkForwardBoard} wf */
    set (wf) {
      shown = wf
      draw(themeColors())
    },
  }
}
