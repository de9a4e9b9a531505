// The review station's page: the line view (live over server-sent events) and, at /part/ID,
// a part's page (./part.js). Preact with htm templates, served as they are: no build step.
import { html, render, useEffect, useRef, useState } from './preact-htm.js';
import { api, navigate, useReviewer } from './api.js';
import { angles, overTime, pareto, reasons } from './charts.js';
import { PartPage } from './part.js';

const FILTERS = ['verdict', 'class', 'lot', 'station', 'from', 'to'];

function filterQuery(f) {
  const q = new URLSearchParams();
  for (const k of FILTERS) {
    if (!f[k]) continue;
    q.set(k, k === 'from' || k === 'to' ? new Date(f[k]).toISOString() : f[k]);
  }
  return q;
}

const pct = (v) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);

function Card({ p }) {
  const open = (e) => {
    e.preventDefault();
    navigate(`/part/${p.id}`);
  };
  return html`<a class=${`card ${p.effectiveVerdict}`} href=${`/part/${p.id}`} onClick=${open} data-part-id=${p.id}
    data-verdict=${p.effectiveVerdict}>
    <img src=${p.thumb} loading="lazy" alt=${p.imageName} />
    <div class="meta"><span class=${`badge ${p.effectiveVerdict}`}>${p.effectiveVerdict}</span>
      ${p.reviewed ? html`<span class="reviewed-mark" title=${`reviewed; the machine said ${p.verdict}`}>\u2713 rev</span>` : ''}
      <span>${new Date(p.inspectedAt).toLocaleTimeString([], { hour12: false })}</span></div>
    <div class="name" title=${p.reasons.join('; ')}>${p.imageName}${p.classes.length ? ` - ${p.classes.join(', ')}` : ''}</div>
  </a>`;
}

function LineView({ config }) {
  const [filters, setFilters] = useState(() => Object.fromEntries(new URLSearchParams(location.search)));
  const [parts, setParts] = useState([]);
  const [stats, setStats] = useState(null);
  const [rates, setRates] = useState(null);
  const [live, setLive] = useState(false);
  const [error, setError] = useState(null);
  const refresh = useRef(null);
  const [reviewer, setReviewer] = useReviewer(config);

  useEffect(() => {
    const q = filterQuery(filters);
    history.replaceState(null, '', `/${q.toString() ? `?${q}` : ''}`);
    let closed = false;
    const loadStats = () => Promise.all([api(`/api/stats?${q}`), api(`/api/rates?${q}`)])
      .then(([s, r]) => !closed && (setStats(s), setRates(r), setError(null))).catch((e) => setError(e.message));
    // Charts follow the feed at most once a second: a busy line does not reread the store per part.
    const soon = () => {
      if (!refresh.current) refresh.current = setTimeout(() => { refresh.current = null; loadStats(); }, 1000);
    };
    let source = null;
    api(`/api/parts?${q}&limit=300`).then(({ parts: list }) => {
      if (closed) return;
      setParts(list);
      loadStats();
      const since = list.length ? Math.max(...list.map((p) => p.id)) : 0;
      source = new EventSource(`/api/events?${q}${q.toString() ? '&' : ''}since=${since}`);
      source.onopen = () => setLive(true);
      source.onerror = () => setLive(false);
      source.addEventListener('parts', (e) => {
        const { parts: fresh } = JSON.parse(e.data);
        setParts((old) => {
          const seen = new Set(old.map((p) => p.id));
          return [...fresh.filter((p) => !seen.has(p.id)).reverse(), ...old].slice(0, 600);
        });
        soon();
      });
      source.addEventListener('review', (e) => {
        const p = JSON.parse(e.data);
        setParts((old) => old.map((x) => (x.id === p.id ? p : x)));
        soon();
      });
    }).catch((e) => setError(e.message));
    return () => {
      closed = true;
      source?.close();
      clearTimeout(refresh.current);
      refresh.current = null;
    };
  }, [JSON.stringify(filters)]);

  const field = (k, type = 'text') => html`<input type=${type} name=${k} value=${filters[k] ?? ''}
    onChange=${(e) => setFilters({ ...filters, [k]: e.target.value })} />`;
  return html`
    <header><h1>die-inspect review station</h1>
      <div class="kpis">
        <div class="kpi" id="kpi-parts"><b>${stats?.parts ?? '-'}</b><span>parts</span></div>
        <div class="kpi" id="kpi-yield"><b>${pct(stats?.yield)}</b><span>yield</span></div>
        <div class="kpi"><b>${stats ? stats.throughput.perMinute.toFixed(1) : '-'}</b><span>parts/min</span></div>
        <div class="kpi"><b>${pct(rates?.falseCallRate)}</b><span>false calls</span></div>
        <div class="kpi"><b>${pct(rates?.escapeRate)}</b><span>escapes</span></div>
      </div>
      <label>reviewer <input value=${reviewer} onChange=${(e) => setReviewer(e.target.value)} size="10" /></label>
      <span class=${`live ${live ? 'on' : ''}`} id="live">${live ? 'live' : 'offline'}</span>
    </header>
    <div class="filters">
      <label>verdict <select name="verdict" value=${filters.verdict ?? ''}
        onChange=${(e) => setFilters({ ...filters, verdict: e.target.value })}>
        ${['', 'pass', 'fail', 'skipped', 'error'].map((v) => html`<option value=${v}>${v || 'any'}</option>`)}</select></label>
      <label>class <select name="class" value=${filters.class ?? ''} onChange=${(e) => setFilters({ ...filters, class: e.target.value })}>
        ${['', ...(config?.classes ?? [])].map((v) => html`<option value=${v}>${v || 'any'}</option>`)}</select></label>
      <label>lot ${field('lot')}</label><label>station ${field('station')}</label>
      <label>from ${field('from', 'datetime-local')}</label><label>to ${field('to', 'datetime-local')}</label>
      <button onClick=${() => setFilters({})}>clear</button>
      ${error ? html`<span class="status error">${error}</span>` : ''}
    </div>
    <main class="line">
      <div class="grid" id="parts">${parts.map((p) => html`<${Card} key=${p.id} p=${p} />`)}</div>
      <aside class="charts">${stats ? [overTime(stats), pareto(stats), angles(stats), reasons(stats)] : ''}</aside>
    </main>`;
}

function App() {
  const [path, setPath] = useState(location.pathname);
  const [config, setConfig] = useState(null);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  // Again on each page: the classes are the newest run's, which may have started since.
  useEffect(() => {
    api('/api/config').then(setConfig).catch(() => setConfig((c) => c ?? { classes: [] }));
  }, [path]);
  const m = path.match(/^\/part\/(\d+)$/);
  if (!config) return html`<p class="loading">loading...</p>`;
  return m ? html`<${PartPage} key=${m[1]} id=${Number(m[1])} config=${config} />` : html`<${LineView} config=${config} />`;
}

render(html`<${App} />`, document.getElementById('app'));
