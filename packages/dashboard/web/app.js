// The dashboard page: one WebSocket to the dashboard server (/ws) feeds a preact app (htm templates, no
// build step) with the view model; ECharts draws the grid map, the voltage profile (AC prices), the
// supply and demand curves, the forward and real-time prices of the last settled interval and the LMP
// history; tables show the AC price components, the accounts' debts and the rent fund. Clicking a bus asks the server for its price history; picking a participant asks it to
// watch that account. Nothing here talks to the chain.

import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  curvesOption,
  gridMapOption,
  historyOption,
  settlementOption,
  voltageProfileOption,
} from './charts.js';
import { clock, hhmm, kwh, LMP_STOPS, num, price, short, units } from './format.js';

const html = htm.bind(h);
const CASH_DECIMALS = 6;

/** The feed: reconnects with back-off; `send` queues nothing (the state is re-sent on reconnect). */
function useFeed() {
  const [state, setState] = useState({ connected: false, view: null, participant: null, history: null });
  const socket = useRef(null);
  const wanted = useRef({ watch: null, bus: null });
  useEffect(() => {
    let closed = false;
    let delay = 500;
    const connect = () => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
      socket.current = ws;
      ws.onopen = () => {
        delay = 500;
        setState((s) => ({ ...s, connected: true }));
        if (wanted.current.watch) ws.send(JSON.stringify({ type: 'watch', address: wanted.current.watch }));
        if (wanted.current.bus !== null)
          ws.send(JSON.stringify({ type: 'history', bus: wanted.current.bus }));
      };
      ws.onmessage = (e) => {
        const msg = JSON.parse(e.data);
        setState((s) => {
          if (msg.type === 'snapshot') return { ...s, view: msg.view };
          if (msg.type === 'update') return { ...s, view: { ...s.view, ...msg.sections } };
          if (msg.type === 'participant') return { ...s, participant: msg.participant };
          if (msg.type === 'history') return { ...s, history: { bus: msg.bus, points: msg.points } };
          return s;
        });
      };
      ws.onclose = () => {
        setState((s) => ({ ...s, connected: false }));
        if (!closed) setTimeout(connect, (delay = Math.min(delay * 2, 5000)));
      };
      ws.onerror = () => {};
    };
    connect();
    return () => {
      closed = true;
      socket.current?.close();
    };
  }, []);
  const send = (msg) => {
    if (msg.type === 'watch') wanted.current.watch = msg.address;
    if (msg.type === 'history') wanted.current.bus = msg.bus;
    if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(JSON.stringify(msg));
  };
  return [state, send];
}

/** An ECharts instance bound to a div; `option` is re-applied whenever it changes. */
function Chart({ option, onReady, testid, height = 320 }) {
  const el = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    chart.current = window.echarts.init(el.current, null, { renderer: 'canvas' });
    onReady?.(chart.current);
    const ro = new ResizeObserver(() => chart.current?.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    if (chart.current && option) chart.current.setOption(option, { notMerge: true });
  }, [option]);
  return html`<div class="chart" data-testid=${testid} ref=${el} style=${`height:${height}px`}></div>`;
}

function Panel({ title, sub, children, testid, wide }) {
  return html`<section class=${`panel${wide ? ' wide' : ''}`} data-testid=${testid}>
    <header><h2>${title}</h2>${sub ? html`<span class="sub">${sub}</span>` : null}</header>
    ${children}
  </section>`;
}

function Header({ view, connected }) {
  const chain = view?.chain;
  const m = view?.market;
  return html`<header class="top">
    <div class="brand"><img src="/favicon.svg" alt="" /> gridledger <span>live</span></div>
    <div class="pills">
      <span class=${`pill ${connected ? 'ok' : 'bad'}`} data-testid="connection">${connected ? 'live' : 'reconnecting…'}</span>
      <span class="pill">block <b data-testid="height">${chain ? num(chain.height) : '—'}</b></span>
      <span class="pill">${num(chain?.tps ?? 0, 1)} tx/s</span>
      ${
        m
          ? html`<span class="pill" data-testid="pricing">${view?.cleared?.pricing === 'ac' ? 'AC prices' : view?.cleared ? 'DC prices' : 'prices —'}</span>
            <span class="pill">market time <b>${hhmm(m.marketTimeMs)}</b></span>
            <span class="pill">open interval <b>${m.openInterval}</b> · ${num(m.openOrders)} orders</span>`
          : html`<span class="pill muted">${view?.marketNote ?? 'no market yet'}</span>`
      }
    </div>
  </header>`;
}

function Legend({ cleared, openCount, showOpen, onShowOpen }) {
  if (!cleared) return null;
  const gradient = `linear-gradient(90deg, ${LMP_STOPS.join(', ')})`;
  return html`<div class="legend">
    <span>LMP</span><span class="num">${num(cleared.lmpMin, 2)}</span>
    <span class="bar" style=${`background:${gradient}`}></span>
    <span class="num">${num(cleared.lmpMax, 2)} $/MWh</span>
    <span class="sep"></span>
    <span class="line-key"><i style="background:#7f9c8f"></i>under 50%</span>
    <span class="line-key"><i style="background:#d4ac0d"></i>50–90%</span>
    <span class="line-key"><i style="background:#e67e22"></i>≥90%</span>
    <span class="line-key"><i class="cong"></i>congested</span>
    ${cleared.ac ? html`<span class="line-key"><i class="vlim"></i>at a voltage limit</span>` : null}
    ${
      openCount > 0
        ? html`<label class="line-key"><input type="checkbox" checked=${showOpen} onChange=${(e) => onShowOpen(e.currentTarget.checked)} />${openCount} open tie switches (dashed)</label>`
        : null
    }
  </div>`;
}

function GridMap({ view, selectedBus, onBus }) {
  const network = view?.network;
  const cleared = view?.cleared;
  const handler = useRef(onBus);
  const [showOpen, setShowOpen] = useState(false);
  handler.current = onBus;
  if (!network) return html`<p class="empty">${view?.marketNote ?? 'waiting for the network'}</p>`;
  const option = gridMapOption(network, cleared, selectedBus, 2.2, showOpen);
  const openCount = network.branches.filter((b) => !b.inService).length;
  const colours = [...new Set(option.series[0].data.map((d) => d.itemStyle.color))];
  const congested = (cleared?.flows ?? []).filter((f) => f.congested).length;
  return html`<div data-testid="grid-map" data-lmp-colors=${colours.join(' ')} data-congested=${congested}>
    <${Chart}
      testid="grid-map-chart"
      height=${430}
      option=${option}
      onReady=${(c) =>
        c.on('click', (p) => {
          if (p.dataType === 'node') handler.current(Number(p.data.id));
        })}
    />
    <${Legend} cleared=${cleared} openCount=${openCount} showOpen=${showOpen} onShowOpen=${setShowOpen} />
  </div>`;
}

function BusHistory({ history, selectedBus }) {
  if (selectedBus === null)
    return html`<p class="empty">Click a bus on the map to see its price history.</p>`;
  const points = history?.bus === selectedBus ? history.points : null;
  const last = points?.[points.length - 1];
  return html`<div data-testid="bus-history" data-bus=${selectedBus} data-points=${points?.length ?? 0}>
    <p class="kpis">
      <span>bus <b>${selectedBus}</b></span>
      <span>last <b>${last ? price(last[1]) : '—'}</b></span>
      <span>${points ? `${points.length} intervals` : 'loading…'}</span>
    </p>
    ${
      points && points.length > 0
        ? html`<${Chart} testid="bus-history-chart" height=${330} option=${historyOption(selectedBus, points)} />`
        : html`<p class="empty">No cleared prices for this bus yet.</p>`
    }
  </div>`;
}

function Curves({ cleared }) {
  if (!cleared) return html`<p class="empty">No interval cleared yet.</p>`;
  const s = cleared.summary;
  return html`<div data-testid="curves">
    <p class="kpis">
      <span>interval <b>${cleared.interval}</b> (${hhmm(cleared.startMs)}–${hhmm(cleared.endMs)})</span>
      <span>${cleared.status}</span>
      <span>${num(s.orders)} orders</span>
      <span>cleared <b>${kwh(s.clearedBuyWh + cleared.upstream.boughtWh, 1)}</b></span>
      <span>LMP <b>${num(cleared.lmpMin, 2)}–${num(cleared.lmpMax, 2)}</b> $/MWh</span>
      <span>congestion rent <b>${num(cleared.congestionRent, 4)} $</b></span>
      <span data-testid="rent-destination" title=${cleared.rentFund.address}>→ rent fund ${short(cleared.rentFund.address)}${
        cleared.rentFund.balance === null ? '' : html` (holds <b>${num(cleared.rentFund.balance, 2)} $</b>)`
      }</span>
    </p>
    <${Chart} testid="curves-chart" height=${300} option=${curvesOption(cleared)} />
  </div>`;
}

function VoltageProfile({ view }) {
  const cleared = view?.cleared;
  const network = view?.network;
  if (!cleared || !network) return html`<p class="empty">No interval cleared yet.</p>`;
  if (!cleared.ac)
    return html`<p class="empty" data-testid="voltage-profile-dc">This market prices with the lossless DC model: no voltages or losses.
      A scenario with <code>pricing: ac</code> shows the voltage profile and each price's loss, congestion and voltage parts here.</p>`;
  const rows = network.buses.filter((b) => cleared.ac.buses[b.id]).sort((a, b) => a.x - b.x || a.y - b.y);
  const vms = rows.map((b) => cleared.ac.buses[b.id].vmPu);
  const limited = rows.filter((b) => cleared.ac.buses[b.id].voltageLimited);
  const vmin = Math.min(...network.buses.map((b) => b.vminPu));
  const vmax = Math.max(...network.buses.map((b) => b.vmaxPu));
  return html`<div data-testid="voltage-profile" data-interval=${cleared.interval} data-buses=${rows.length} data-limited=${limited.length}>
    <p class="kpis">
      <span>interval <b>${cleared.interval}</b></span>
      <span>|V| <b>${num(Math.min(...vms), 4)}–${num(Math.max(...vms), 4)}</b> p.u. (limits ${num(vmin, 2)}–${num(vmax, 2)})</span>
      <span>losses <b data-testid="losses-kw">${num(cleared.ac.lossesKw, 2)} kW</b></span>
      <span data-testid="voltage-limited">${limited.length === 0 ? 'no bus at a voltage limit' : html`at a voltage limit: <b>${limited.map((b) => b.id).join(', ')}</b>`}</span>
    </p>
    <${Chart} testid="voltage-profile-chart" height=${260} option=${voltageProfileOption(network, cleared)} />
    <div class="scroll short">
      <table data-testid="ac-components">
        <thead><tr><th>bus</th><th class="r">depth</th><th class="r">LMP</th><th class="r">energy</th><th class="r">loss</th><th class="r">congestion</th><th class="r">voltage</th><th class="r">|V| p.u.</th><th></th></tr></thead>
        <tbody>
          ${rows.map((b) => {
            const a = cleared.ac.buses[b.id];
            return html`<tr key=${b.id} data-bus=${b.id} data-lmp=${cleared.lmps[b.id]} data-loss=${a.loss} data-vm=${a.vmPu}>
              <td>${b.id}</td><td class="r">${b.x}</td><td class="r"><b>${num(cleared.lmps[b.id], 3)}</b></td><td class="r">${num(a.energy, 3)}</td>
              <td class="r">${num(a.loss, 3)}</td><td class="r">${num(a.congestion, 3)}</td><td class="r">${num(a.voltage, 3)}</td>
              <td class="r">${num(a.vmPu, 4)}</td><td>${a.voltageLimited ? html`<span class="alert">at limit</span>` : ''}</td></tr>`;
          })}
        </tbody>
      </table>
    </div>
  </div>`;
}

function Settlement({ view }) {
  const s = view?.settled;
  if (!s) return html`<p class="empty">No interval settled yet.</p>`;
  const order = view?.network
    ? [...view.network.buses].sort((a, b) => a.x - b.x || a.y - b.y).map((b) => String(b.id))
    : Object.keys(s.forward);
  const eb = s.energyBalance;
  return html`<div data-testid="settlement" data-interval=${s.interval}>
    <p class="kpis">
      <span>interval <b>${s.interval}</b></span>
      <span>${s.realtime === null ? 'no real-time prices served' : s.realtimePriced ? 'real-time prices from the metered state' : 'real-time pricer failed: forward prices stood in'}</span>
      <span>readings ${s.reportedReadings}/${s.expectedReadings}</span>
      <span>energy balance ${eb === null ? 'within tolerance' : html`<b>${eb.status}</b> (${kwh(eb.mismatchWh, 2)} mismatch)`}</span>
    </p>
    <${Chart} testid="settlement-chart" height=${220} option=${settlementOption(view?.network, s)} />
    <div class="scroll short">
      <table data-testid="realtime-prices">
        <thead><tr><th>bus</th><th class="r">forward $/MWh</th><th class="r">real-time $/MWh</th><th class="r">difference</th></tr></thead>
        <tbody>
          ${order.map((b) => {
            const f = s.forward[b];
            const r = s.realtime?.[b];
            return html`<tr key=${b} data-bus=${b} data-forward=${f ?? ''} data-realtime=${r ?? ''}>
              <td>${b}</td><td class="r">${num(f, 2)}</td><td class="r">${num(r, 2)}</td>
              <td class="r">${r === undefined || f === undefined ? '—' : num(r - f, 2)}</td></tr>`;
          })}
        </tbody>
      </table>
    </div>
  </div>`;
}

function Accounts({ view }) {
  const a = view?.accounts;
  if (!a) return html`<p class="empty">No accounts read yet.</p>`;
  const named = view?.participants?.named ?? [];
  const inDefault = a.rows.filter((r) => r.inDefault).length;
  return html`<div data-testid="accounts">
    <p class="kpis" data-testid="rent-fund">
      <span>The congestion rent goes to the <b>rent fund</b> <span class="mono" title=${a.rentFund.address}>${short(a.rentFund.address)}</span>, a cash balance no key controls (not to the grid operator; market rules §10b). It holds <b data-testid="rent-fund-balance">${a.rentFund.balance === null ? '—' : `${num(a.rentFund.balance, 2)} $`}</b>${a.rentFund.due ? html`, and is owed <b>${num(a.rentFund.due, 2)} $</b>` : ''}.</span>
    </p>
    <p class="kpis">
      <span><b data-testid="accounts-in-default">${inDefault}</b> of ${a.rows.length} listed accounts in default</span>
      <span>${a.debtorsSeen} debtors seen in DebtRecorded logs</span>
    </p>
    <div class="scroll short">
      <table data-testid="accounts-table">
        <thead><tr><th>account</th><th>listed as</th><th class="r">cash $</th><th class="r">debt $</th><th class="r">owed to it $</th><th>status</th></tr></thead>
        <tbody>
          ${a.rows.map(
            (
              r,
            ) => html`<tr key=${r.address} data-address=${r.address} data-debt=${r.debt ?? ''} data-default=${String(r.inDefault)}>
              <td class="mono" title=${r.address}>${name(r.address, named)}</td><td>${r.role}</td>
              <td class="r">${num(r.cash, 2)}</td><td class="r">${num(r.debt, 2)}</td><td class="r">${num(r.due, 2)}</td>
              <td>${r.inDefault ? html`<span class="alert">in default</span>` : html`<span class="muted">ok</span>`}</td></tr>`,
          )}
        </tbody>
      </table>
    </div>
  </div>`;
}

function name(addr, named) {
  const n = named.find((x) => x.address === addr);
  return n ? n.name : short(addr);
}

function Trades({ cleared, settled, named }) {
  if (!cleared) return html`<p class="empty">No trades yet.</p>`;
  return html`<div data-testid="trades">
    <p class="kpis">
      <span><b>${num(cleared.promises)}</b> promises (ERC-721) minted for interval ${cleared.interval}</span>
      <span>upstream sold ${kwh(cleared.upstream.soldWh, 1)}, bought ${kwh(cleared.upstream.boughtWh, 1)}</span>
      ${
        settled
          ? html`<span>last settled: interval <b>${settled.interval}</b>, credits <b>${settled.creditsWh === null ? '—' : kwh(settled.creditsWh, 2)}</b>, readings ${settled.reportedReadings}/${settled.expectedReadings}</span>`
          : null
      }
    </p>
    <div class="scroll">
      <table>
        <thead><tr><th>promise</th><th>seller</th><th>bus</th><th>buyer</th><th>bus</th><th class="r">kWh</th><th class="r">seller $/MWh</th><th class="r">buyer $/MWh</th><th>delivered</th></tr></thead>
        <tbody>
          ${cleared.trades.map(
            (t) => html`<tr key=${t.tokenId}>
              <td>#${t.tokenId}</td><td class="mono">${name(t.seller, named)}</td><td>${t.sellerBus}</td>
              <td class="mono">${name(t.buyer, named)}</td><td>${t.buyerBus}</td>
              <td class="r">${num(t.energyWh / 1000, 3)}</td><td class="r">${num(t.sellerPrice, 2)}</td><td class="r">${num(t.buyerPrice, 2)}</td>
              <td>${t.settled ? kwh(t.deliveredWh, 3) : html`<span class="muted">pending</span>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </div>`;
}

function Participant({ view, participant, selected, onSelect }) {
  const ps = view?.participants ?? { named: [], active: [], suggested: null };
  const named = ps.named.filter((n) => n.role === 'participant');
  const options = [
    ...ps.active.map((a) => ({
      value: a.address,
      label: `${a.side === 'buy' ? 'buyer' : 'seller'} ${short(a.address)} · bus ${a.bus} · ${kwh(a.clearedWh, 1)}`,
    })),
    ...named.map((n) => ({ value: n.address, label: `${n.name} ${short(n.address)}` })),
  ];
  if (selected && !options.some((o) => o.value === selected))
    options.unshift({ value: selected, label: short(selected) });
  const p = participant?.address === selected ? participant : null;
  return html`<div data-testid="participant">
    <label class="picker">participant
      <select data-testid="participant-select" value=${selected ?? ''} onChange=${(e) => onSelect(e.currentTarget.value || null)}>
        <option value="">— pick one —</option>
        ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
      </select>
    </label>
    ${
      p
        ? html`<div class="cards">
          <div class="card"><span>cash</span><b data-testid="participant-cash">${units(p.cash, CASH_DECIMALS, 2)}</b></div>
          <div class="card"><span>promises held</span><b data-testid="participant-promises">${p.promisesHeld ?? '—'}</b></div>
          <div class="card"><span>credits</span><b data-testid="participant-credits" data-wh=${p.credits ?? ''}>${p.credits === null ? '—' : kwh(Number(p.credits), 3)}</b></div>
          <div class="card"><span>collateral</span><b>${p.account ? units(p.account.collateralMicros, CASH_DECIMALS, 2) : '—'}</b></div>
          <div class="card"><span>debt</span><b data-testid="participant-debt" data-micros=${p.account?.debtMicros ?? ''}>${p.account ? units(p.account.debtMicros, CASH_DECIMALS, 2) : '—'}</b></div>
          <div class="card"><span>status</span><b data-testid="participant-status">${p.account ? (p.account.inDefault ? html`<span class="alert">in default</span>` : 'ok') : '—'}</b></div>
        </div>
        <div class="scroll short">
          <table>
            <thead><tr><th>promise</th><th>side</th><th>seller</th><th class="r">kWh</th><th class="r">$/MWh</th><th>delivered</th></tr></thead>
            <tbody>
              ${p.promises.length === 0 ? html`<tr><td colspan="6" class="muted">no promises received in the last 2,000 blocks</td></tr>` : null}
              ${p.promises.map(
                (
                  t,
                ) => html`<tr key=${t.tokenId}><td>#${t.tokenId}</td><td>${t.buyer === p.address ? 'bought' : 'sold'}</td>
                  <td class="mono">${name(t.seller, ps.named)}</td><td class="r">${num(t.energyWh / 1000, 3)}</td>
                  <td class="r">${num(t.buyerPrice, 2)}</td><td>${t.settled ? kwh(t.deliveredWh, 3) : html`<span class="muted">pending</span>`}</td></tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${
          p.orders.length > 0
            ? html`<p class="kpis">${p.orders.slice(0, 6).map((o) => html`<span>interval ${o.interval}: ${o.side} ${kwh(o.clearedWh, 2)} at ${num(o.price, 2)} (${o.status})</span>`)}</p>`
            : null
        }`
        : html`<p class="empty">${selected ? 'loading…' : 'Pick a participant.'}</p>`
    }
  </div>`;
}

function Chain({ view }) {
  const c = view?.chain;
  const vs = view?.validators ?? [];
  return html`<div data-testid="chain">
    <div class="cards">
      <div class="card"><span>height</span><b>${c ? num(c.height) : '—'}</b></div>
      <div class="card"><span>tx/s (30 s)</span><b data-testid="tps">${num(c?.tps ?? 0, 1)}</b></div>
      <div class="card"><span>block time</span><b>${c ? `${num(c.avgBlockMs)} ms` : '—'}</b></div>
      <div class="card"><span>finality</span><b>${c ? `${num(c.avgFinalityMs)} ms` : '—'}</b></div>
      <div class="card"><span>dashboard lag</span><b data-testid="feed-ms">${c ? `${num(c.feedMs)} ms` : '—'}</b></div>
    </div>
    <table class="validators">
      <thead><tr><th>validator</th><th>JSON-RPC</th><th class="r">height</th><th class="r">peers</th><th>status</th></tr></thead>
      <tbody>
        ${vs.map(
          (
            v,
          ) => html`<tr key=${v.url}><td>${v.client ? html`<span class="mono">${v.client}</span>` : v.index === null ? '?' : `#${v.index}`} <span class="mono muted">${v.publicKey ? short(v.publicKey) : ''}</span></td>
            <td class="mono">${v.url.replace('http://', '')}</td><td class="r">${v.height === null ? '—' : num(v.height)}</td>
            <td class="r">${v.peers ?? '—'}</td><td><span class=${`dot ${v.status}`}></span>${v.status}</td></tr>`,
        )}
      </tbody>
    </table>
    <div class="scroll short">
      <table data-testid="blocks">
        <thead><tr><th>block</th><th>time</th><th class="r">txs</th><th class="r">finality</th><th>proposer</th><th>hash</th></tr></thead>
        <tbody>
          ${(c?.blocks ?? []).map(
            (
              b,
            ) => html`<tr key=${b.number}><td><b>${num(b.number)}</b></td><td>${clock(b.timeMs)}</td><td class="r">${b.txCount ?? '…'}</td>
              <td class="r">${b.finalityMs === null ? '—' : `${num(b.finalityMs)} ms`}</td><td class="mono">${short(b.proposer)}</td><td class="mono muted">${short(b.hash)}</td></tr>`,
          )}
        </tbody>
      </table>
    </div>
  </div>`;
}

function App() {
  const [state, send] = useFeed();
  const [selectedBus, setSelectedBus] = useState(null);
  const [selected, setSelected] = useState(null);
  const chose = useRef(false);
  const view = state.view;
  const cleared = view?.cleared;

  // Default bus: the most expensive one of the last cleared interval, until the user clicks one.
  useEffect(() => {
    if (selectedBus === null && cleared && Object.keys(cleared.lmps).length > 0) {
      const [bus] = Object.entries(cleared.lmps).sort((a, b) => b[1] - a[1])[0];
      setSelectedBus(Number(bus));
    }
  }, [cleared?.interval]);
  // The history of the chosen bus, again after each cleared interval.
  useEffect(() => {
    if (selectedBus !== null) send({ type: 'history', bus: selectedBus });
  }, [selectedBus, cleared?.interval, state.connected]);
  // Default participant: the server's suggestion (largest buyer of the last settled interval).
  useEffect(() => {
    const s = view?.participants?.suggested;
    if (!chose.current && s && s !== selected) setSelected(s);
  }, [view?.participants?.suggested]);
  useEffect(() => {
    send({ type: 'watch', address: selected });
  }, [selected, state.connected]);

  const named = view?.participants?.named ?? [];
  return html`<div class="app">
    <${Header} view=${view} connected=${state.connected} />
    <main>
      <${Panel} title="Grid" sub=${view?.network ? `${view.network.name} · buses by LMP, lines by loading` : ''} testid="panel-grid" wide>
        <${GridMap} view=${view} selectedBus=${selectedBus} onBus=${setSelectedBus} />
      <//>
      <${Panel} title="Price history" sub="LMP per interval (market time, UTC)" testid="panel-history">
        <${BusHistory} history=${state.history} selectedBus=${selectedBus} />
      <//>
      <${Panel} title="Voltage profile" sub=${cleared?.ac ? '|V| along the feeder, limits dashed · LMP components per bus (AC prices)' : 'AC prices only'} testid="panel-voltage">
        <${VoltageProfile} view=${view} />
      <//>
      <${Panel} title="Second settlement" sub="forward and real-time prices of the last settled interval" testid="panel-settlement">
        <${Settlement} view=${view} />
      <//>
      <${Panel} title="Supply and demand" sub="last cleared interval" testid="panel-curves">
        <${Curves} cleared=${cleared} />
      <//>
      <${Panel} title="Trades and promises" sub="first promises of the last cleared interval" testid="panel-trades">
        <${Trades} cleared=${cleared} settled=${view?.settled} named=${named} />
      <//>
      <${Panel} title="Participant" sub="cash, promises (ERC-721), credits (ERC-20)" testid="panel-participant">
        <${Participant} view=${view} participant=${state.participant} selected=${selected}
          onSelect=${(a) => {
            chose.current = true;
            setSelected(a);
          }} />
      <//>
      <${Panel} title="Accounts and debts" sub="cash, debt ledger, default; where the congestion rent goes" testid="panel-accounts">
        <${Accounts} view=${view} />
      <//>
      <${Panel} title="Chain" sub=${view?.chain ? `via ${view.chain.rpcUrl}` : ''} testid="panel-chain">
        <${Chain} view=${view} />
      <//>
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
