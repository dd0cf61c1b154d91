// ECharts options of the dashboard's charts, as pure functions of the view model: the grid map (buses
// coloured by LMP, lines by loading, congested lines highlighted, buses at a voltage limit as diamonds),
// the voltage profile along the feeder (AC prices), the supply and demand curves of the last cleared
// interval, the forward and real-time prices of the last settled interval, and one bus's LMP history.
import { hhmm, lmpColor, loadingColor, num } from './format.js';

const AXIS = {
  axisLine: { lineStyle: { color: '#8a99a8' } },
  splitLine: { lineStyle: { color: '#eef1f4' } },
};

/** The grid map: a graph series with fixed positions from the server's tree layout. */
export function gridMapOption(network, cleared, selectedBus, aspect = 1.6, showOpen = false) {
  // Positions normalised to the chart's aspect (ECharts then scales both axes alike: round symbols).
  const xr = Math.max(1, ...network.buses.map((b) => b.x));
  const yr = Math.max(1, ...network.buses.map((b) => b.y));
  const lmps = cleared?.lmps ?? {};
  const min = cleared?.lmpMin ?? 0;
  const max = cleared?.lmpMax ?? 0;
  const flows = new Map((cleared?.flows ?? []).map((f) => [f.index, f]));
  const big = network.buses.length > 60;
  const ac = cleared?.ac?.buses ?? {};
  const nodes = network.buses.map((b) => {
    const lmp = lmps[b.id];
    const color = lmp === undefined ? '#b8c2cc' : lmpColor(lmp, min, max);
    const selected = b.id === selectedBus;
    const root = b.id === network.root;
    const limited = ac[b.id]?.voltageLimited ?? false;
    return {
      id: String(b.id),
      name: `Bus ${b.id}`,
      // Cartesian positions: ECharts 6 misplaces horizontal edges of a graph in its own 'view' system.
      value: [(b.x / xr) * aspect, b.y / yr],
      lmp: lmp ?? null,
      ac: ac[b.id] ?? null,
      symbol: root ? 'roundRect' : limited ? 'diamond' : 'circle',
      symbolSize: (big ? 9 : 16) + (selected ? 8 : 0) + (root ? 4 : 0) + (limited ? 6 : 0),
      itemStyle: {
        color,
        borderColor: selected ? '#111' : limited ? '#8e0000' : '#fff',
        borderWidth: selected ? 3 : limited ? 2.5 : 1,
      },
      label: {
        show: !big || selected,
        formatter: String(b.id),
        position: 'bottom',
        fontSize: 10,
        color: '#334',
      },
    };
  });
  // Open tie switches cross the tree: drawn only on request.
  const links = network.branches
    .filter((br) => showOpen || br.inService)
    .map((br) => {
      const f = flows.get(br.index);
      const loading = f?.loading ?? 0;
      const congested = f?.congested ?? false;
      return {
        source: String(br.from),
        target: String(br.to),
        value: f ? f.flowMw : null,
        branch: br.index,
        congested,
        lineStyle: {
          color: loadingColor(loading, congested),
          width: congested ? 6 : 1.5 + 3 * Math.min(1, loading),
          type: br.inService ? 'solid' : 'dashed',
          opacity: 0.95,
          shadowBlur: congested ? 10 : 0,
          shadowColor: congested ? 'rgba(192,57,43,0.7)' : 'transparent',
          curveness: 0,
        },
        label: congested
          ? { show: true, formatter: 'congested', color: '#c0392b', fontSize: 10, fontWeight: 'bold' }
          : { show: false },
        tooltipText:
          `Line ${br.index} (${br.from}→${br.to})<br/>` +
          (f
            ? `${num(f.flowMw * 1000, 1)} kW of ${br.limitMw > 0 ? `${num(br.limitMw * 1000, 0)} kW` : 'no limit'}` +
              (br.limitMw > 0 ? ` (${num(loading * 100, 0)}%)` : '') +
              (congested ? '<br/><b style="color:#c0392b">congested</b>' : '')
            : 'no cleared interval yet'),
      };
    });
  return {
    animation: false,
    tooltip: {
      formatter: (p) =>
        p.dataType === 'edge'
          ? p.data.tooltipText
          : `${p.name}<br/>${p.data.lmp === null || p.data.lmp === undefined ? 'no price yet' : `${num(p.data.lmp, 2)} $/MWh`}${
              p.data.ac ? `<br/>${acTooltip(p.data.ac)}` : ''
            }`,
    },
    grid: { left: 24, right: 24, top: 28, bottom: 28 },
    xAxis: { type: 'value', show: false, min: 0, max: aspect },
    yAxis: { type: 'value', show: false, inverse: true, min: 0, max: 1 },
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'inside', yAxisIndex: 0, filterMode: 'none' },
    ],
    series: [
      {
        type: 'graph',
        layout: 'none',
        coordinateSystem: 'cartesian2d',
        data: nodes,
        links,
        emphasis: { scale: 1.4, lineStyle: { width: 5 } },
      },
    ],
  };
}

/** An AC bus's components and voltage, for tooltips. */
function acTooltip(a) {
  return (
    `energy ${num(a.energy, 3)} · loss ${num(a.loss, 3)}<br/>congestion ${num(a.congestion, 3)} · voltage ${num(a.voltage, 3)} $/MWh` +
    `<br/>|V| ${num(a.vmPu, 4)} p.u.${a.voltageLimited ? ' <b style="color:#8e0000">at a voltage limit</b>' : ''}`
  );
}

/**
 * The voltage profile along the feeder: each bus's |V| (p.u.) against its depth (hops from the
 * substation, the map's x), every in-service line as a segment between its ends, buses coloured by LMP,
 * buses at a voltage limit as dark-red diamonds, the limits as dashed lines.
 */
export function voltageProfileOption(network, cleared) {
  const ac = cleared.ac.buses;
  const depth = new Map(network.buses.map((b) => [b.id, b.x]));
  const vmin = Math.min(...network.buses.map((b) => b.vminPu));
  const vmax = Math.max(...network.buses.map((b) => b.vmaxPu));
  const vms = Object.values(ac).map((a) => a.vmPu);
  const lo = Math.min(vmin, ...vms) - 0.01;
  const hi = Math.max(vmax, ...vms) + 0.01;
  const segments = network.branches
    .filter((br) => br.inService && ac[br.from] && ac[br.to])
    .map((br) => ({
      coords: [
        [depth.get(br.from), ac[br.from].vmPu],
        [depth.get(br.to), ac[br.to].vmPu],
      ],
    }));
  const points = network.buses
    .filter((b) => ac[b.id])
    .map((b) => {
      const a = ac[b.id];
      const lmp = cleared.lmps[b.id];
      return {
        name: `Bus ${b.id}`,
        value: [b.x, a.vmPu, b.id],
        ac: a,
        lmp,
        symbol: a.voltageLimited ? 'diamond' : 'circle',
        symbolSize: a.voltageLimited ? 14 : 8,
        itemStyle: {
          color: lmpColor(lmp ?? 0, cleared.lmpMin, cleared.lmpMax),
          borderColor: a.voltageLimited ? '#8e0000' : '#55606b',
          borderWidth: a.voltageLimited ? 2.5 : 0.6,
        },
        label: a.voltageLimited
          ? { show: true, formatter: String(b.id), position: 'right', color: '#8e0000' }
          : undefined,
      };
    });
  const limitLine = (name, y) => ({
    name,
    yAxis: y,
    lineStyle: { color: '#c0392b', type: 'dashed', width: 1.5 },
    label: {
      formatter: `${name} ${num(y, 2)} p.u.`,
      position: 'insideEndTop',
      color: '#c0392b',
      fontSize: 10,
    },
  });
  return {
    animation: false,
    tooltip: {
      formatter: (p) =>
        p.seriesType === 'scatter'
          ? `${p.name} · depth ${p.value[0]}<br/>LMP ${num(p.data.lmp, 2)} $/MWh<br/>${acTooltip(p.data.ac)}`
          : '',
    },
    grid: { left: 60, right: 24, top: 16, bottom: 40 },
    xAxis: {
      type: 'value',
      name: 'depth (lines from the substation)',
      nameLocation: 'middle',
      nameGap: 26,
      minInterval: 1,
      ...AXIS,
    },
    yAxis: {
      type: 'value',
      name: '|V| p.u.',
      min: lo,
      max: hi,
      axisLabel: { formatter: (v) => num(v, 3) },
      ...AXIS,
    },
    dataZoom: [{ type: 'inside', yAxisIndex: 0 }],
    series: [
      {
        type: 'lines',
        coordinateSystem: 'cartesian2d',
        silent: true,
        lineStyle: { color: '#8a99a8', width: 1.5, opacity: 0.9 },
        data: segments,
      },
      {
        type: 'scatter',
        data: points,
        markLine: {
          symbol: 'none',
          silent: true,
          data: [limitLine('Vmax', vmax), limitLine('Vmin', vmin)],
        },
      },
    ],
  };
}

/** The last settled interval's forward and real-time prices by bus (buses in the map's depth order). */
export function settlementOption(network, settled) {
  const order = network
    ? [...network.buses].sort((a, b) => a.x - b.x || a.y - b.y).map((b) => String(b.id))
    : Object.keys(settled.forward);
  const series = (name, prices, color, dashed) => ({
    name,
    type: 'line',
    step: false,
    symbol: 'circle',
    symbolSize: 5,
    lineStyle: { width: 2, color, type: dashed ? 'dashed' : 'solid' },
    itemStyle: { color },
    data: order.map((b) => prices?.[b] ?? null),
  });
  return {
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${num(v, 2)} $/MWh` },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    grid: { left: 60, right: 20, top: 30, bottom: 40 },
    xAxis: {
      type: 'category',
      name: 'bus (by depth)',
      nameLocation: 'middle',
      nameGap: 26,
      data: order,
      ...AXIS,
    },
    yAxis: { type: 'value', name: '$/MWh', scale: true, ...AXIS },
    series: [
      series('forward (cleared)', settled.forward, '#2e86c1', false),
      series('real-time (metered)', settled.realtime, '#ca6f1e', true),
    ],
  };
}

/** Supply and demand of the last cleared interval, with its price range and cleared energy. */
export function curvesOption(cleared) {
  const { supply, demand } = cleared.curves;
  const stepLine = (name, pts, color) => ({
    name,
    type: 'line',
    step: 'start',
    symbol: 'none',
    lineStyle: { width: 2, color },
    itemStyle: { color },
    data: [[0, pts[0]?.[1] ?? 0], ...pts],
  });
  const clearedKWh = (cleared.summary.clearedBuyWh + cleared.upstream.boughtWh) / 1000;
  const s = stepLine('supply (offers + upstream import)', supply, '#2e86c1');
  s.markLine = {
    symbol: 'none',
    silent: true,
    label: { formatter: (p) => p.name, position: 'insideEndTop', fontSize: 10 },
    data: [
      {
        name: `LMP max ${num(cleared.lmpMax, 2)}`,
        yAxis: cleared.lmpMax,
        lineStyle: { color: '#d7191c', type: 'dashed' },
      },
      {
        name: `LMP min ${num(cleared.lmpMin, 2)}`,
        yAxis: cleared.lmpMin,
        lineStyle: { color: '#2c7bb6', type: 'dashed' },
      },
      {
        name: `cleared ${num(clearedKWh, 1)} kWh`,
        xAxis: clearedKWh,
        lineStyle: { color: '#555', type: 'dotted' },
      },
    ],
  };
  // The upstream's capacity dwarfs a local book: show the local part (and what cleared) with room.
  const { localSupplyKWh, localDemandKWh } = cleared.curves;
  const xMax = Math.max(localSupplyKWh, localDemandKWh, clearedKWh) * 1.3 || undefined;
  return {
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${num(v, 2)} $/MWh` },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    grid: { left: 60, right: 20, top: 34, bottom: 40 },
    xAxis: {
      type: 'value',
      name: 'kWh',
      nameLocation: 'middle',
      nameGap: 26,
      max: xMax === undefined ? undefined : Math.ceil(xMax),
      ...AXIS,
    },
    yAxis: { type: 'value', name: '$/MWh', ...AXIS },
    series: [s, stepLine('demand (bids + upstream export)', demand, '#ca6f1e')],
  };
}

/** One bus's LMP over the kept intervals (market time). */
export function historyOption(bus, points) {
  return {
    animation: false,
    tooltip: {
      trigger: 'axis',
      formatter: (ps) => {
        const p = ps[0];
        return p ? `${hhmm(p.value[0])} · bus ${bus}<br/><b>${num(p.value[1], 2)} $/MWh</b>` : '';
      },
    },
    grid: { left: 60, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'time', axisLabel: { formatter: (v) => hhmm(v) }, ...AXIS },
    yAxis: { type: 'value', name: '$/MWh', scale: true, ...AXIS },
    series: [
      {
        name: `bus ${bus}`,
        type: 'line',
        step: 'end',
        symbol: points.length < 40 ? 'circle' : 'none',
        symbolSize: 5,
        lineStyle: { width: 2, color: '#8e44ad' },
        itemStyle: { color: '#8e44ad' },
        areaStyle: { color: 'rgba(142,68,173,0.08)' },
        data: points,
      },
    ],
  };
}
