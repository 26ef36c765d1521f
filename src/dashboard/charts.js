// Charts on TradingView's Lightweight Charts (the vendored standalone build sets
// window.LightweightCharts). Colours come from the page's CSS variables, so the charts follow the
// light or dark theme, and change with it while the page is open.

const charts = new Set()

function lib () {
  const lc = window.LightweightCharts
  if (lc === undefined) throw new Error('the chart library did not load')
  return lc
}

export function themeColors () {
  const s = getComputedStyle(document.documentElement)
  const v = name => s.getPropertyValue(name).trim()
  return { bg: v('--card'), fg: v('--fg'), muted: v('--muted'), grid: v('--grid'), line: v('--line'), is: v('--is'), oos: v('--oos'), up: v('--up'), down: v('--down'), accent: v('--accent') }
}

function themeOptions (c) {
  return {
    layout: { background: { type: 'solid', color: c.bg }, textColor: c.fg, panes: { separatorColor: c.line } },
    grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
    rightPriceScale: { borderColor: c.line },
    timeScale: { borderColor: c.line },
  }
}

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

/** Milliseconds to the library's seconds, keeping times strictly increasing (it requires that). */
export function toPoints (times, values, map = v => v) {
  const out = []
  let last = -Infinity
  for (let i = 0; i < times.length; i++) {
    const t = Math.floor(times[i] / 1000)
    if (t <= last || values[i] === null || values[i] === undefined) continue
    out.push({ time: t, value: map(values[i]) })
    last = t
  }
  return out
}

const percent = digits => ({ type: 'custom', minMove: 10 ** -digits, formatter: v => `${v.toFixed(digits)}%` })

/** One line over time (evaluations per second, best fitness). */
export function lineChart (el, colour = 'accent', format = { type: 'price', precision: 2, minMove: 0.01 }) {
  let series
  const entry = create(el, c => series.applyOptions({ color: c[colour] }), { secondsVisible: true })
  series = entry.chart.addSeries(lib().LineSeries, { color: themeColors()[colour], lineWidth: 2, priceFormat: format })
  return {
    set (points) {
      series.setData(points)
      entry.chart.timeScale().fitContent()
    },
  }
}

/** Equity (as return %) and drawdown (%) of the in-sample and out-of-sample ranges, in two panes. */
export function equityChart (el) {
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
  const dd = colour => ({ lineColor: colour, topColor: `${colour}55`, bottomColor: `${colour}10`, lineWidth: 1, invertFilledArea: true, priceFormat: percent(1) })
  s.isDd = entry.chart.addSeries(AreaSeries, dd(c.is), 1)
  s.oosDd = entry.chart.addSeries(AreaSeries, dd(c.oos), 1)
  entry.chart.panes()[1]?.setStretchFactor(0.45)
  const asReturn = v => (v - 1) * 100
  const asPercent = v => v * 100
  return {
    set (detail) {
      s.isEq.setData(toPoints(detail.inSample.equity.time, detail.inSample.equity.value, asReturn))
      s.oosEq.setData(toPoints(detail.outOfSample.equity.time, detail.outOfSample.equity.value, asReturn))
      s.isDd.setData(toPoints(detail.inSample.drawdown.time, detail.inSample.drawdown.value, asPercent))
      s.oosDd.setData(toPoints(detail.outOfSample.drawdown.time, detail.outOfSample.drawdown.value, asPercent))
      entry.chart.timeScale().fitContent()
    },
  }
}

/** Index of the last candle opening at or before t (seconds); candles sorted by time. */
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
export function candleChart (el) {
  let series
  let markers
  let trades = []
  const markerList = (c) => {
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
    set (detail) {
      const k = detail.candles
      const bars = []
      const times = []
      let last = -Infinity
      for (let i = 0; i < k.time.length; i++) {
        const t = Math.floor(k.time[i] / 1000)
        if (t <= last) continue
        bars.push({ time: t, open: k.open[i], high: k.high[i], low: k.low[i], close: k.close[i] })
        times.push(t)
        last = t
      }
      series.setData(bars)
      const at = ms => times[bucketOf(times, Math.floor(ms / 1000))]
      trades = [...detail.inSample.trades, ...detail.outOfSample.trades].map(t => ({ side: t.side, open: t.open, entry: at(t.entryTime), exit: at(t.exitTime) }))
      trades.split = detail.outOfSample.to > detail.outOfSample.from ? at(detail.split.time) : undefined
      markers.setMarkers(markerList(themeColors()))
      entry.chart.timeScale().fitContent()
    },
  }
}
