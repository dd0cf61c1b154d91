// Functions the browser test runs inside the dashboard page (plain browser JavaScript, installed with
// page.addInitScript): read the grid map's ECharts instance and what its canvas actually shows.
window.__dashboardProbes = {
  /** The grid map's chart, its element and its node data. */
  map() {
    const el = document.querySelector('[data-testid=grid-map-chart]');
    const chart = window.echarts.getInstanceByDom(el);
    return { el, chart, data: chart.getOption().series[0].data };
  },

  /** The colour the canvas shows at each bus centre, as #rrggbb. */
  drawnBusColours() {
    const { el, chart, data } = this.map();
    const canvas = el.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const ratio = canvas.width / el.clientWidth;
    return data.map((d) => {
      const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, d.value);
      const p = ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
      return `#${[p[0], p[1], p[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    });
  },

  /** The bus whose LMP differs most from the selected one, and where it is on the page. */
  contrastingBus() {
    const { el, chart, data } = this.map();
    const selected = Number(
      document.querySelector('[data-testid=bus-history]')?.getAttribute('data-bus') ?? -1,
    );
    const priced = data.filter((d) => d.lmp !== null && d.lmp !== undefined);
    const ref = priced.find((d) => Number(d.id) === selected)?.lmp ?? priced[0].lmp;
    const pick = [...priced].sort((a, b) => Math.abs(b.lmp - ref) - Math.abs(a.lmp - ref))[0];
    const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, pick.value);
    const box = el.getBoundingClientRect();
    return { bus: Number(pick.id), x: box.left + x, y: box.top + y };
  },
};
