// A part's page: the annotated image (zoom), the upright crop with its boxes, detections, classifier
// probabilities, die angle, and the review keys. Boxes are in crop pixels, as the store keeps them.
import { html, useEffect, useRef, useState } from './preact-htm.js';
import { api, navigate, useReviewer } from './api.js';

const pct = (v) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);
const KEYS = [
  ['c', 'confirm the verdict'], ['o', 'overturn it (pass to fail, fail to pass)'], ['r', 'relabel the defects (then Enter)'],
  ['b', 'draw boxes on the crop (drag; Delete drops the last; Enter saves)'], ['p / f', 'pass / fail a skipped or error part'],
  ['n', 'next unreviewed fail'], ['+ / - / 0', 'zoom the image'], ['Esc', 'cancel, or back to the line'], ['?', 'these keys'],
];

export function PartPage({ id, config }) {
  const [detail, setDetail] = useState(null);
  const [rates, setRates] = useState(null);
  const [zoom, setZoom] = useState(1);
  const [mode, setMode] = useState(null);  // null | 'relabel' | 'box'
  const [labels, setLabels] = useState([]);
  const [boxes, setBoxes] = useState([]);
  const [chosenLabel, setBoxLabel] = useState(null);
  const boxLabel = chosenLabel ?? config.classes[0] ?? 'defect';
  const [drag, setDrag] = useState(null);
  const [status, setStatus] = useState(null);
  const [help, setHelp] = useState(false);
  const [reviewer] = useReviewer(config);
  const svg = useRef(null);

  const load = () => api(`/api/parts/${id}`).then(setDetail).catch((e) => setStatus({ error: true, text: e.message }));
  const loadRates = () => api('/api/rates').then(setRates).catch(() => undefined);
  useEffect(() => {
    load();
    loadRates();
  }, [id]);

  const defects = () => (detail ? detail.part.detections.filter((_, i) => detail.defects[i]) : []);

  async function review(body, what) {
    try {
      const r = await api(`/api/parts/${id}/review`, { method: 'POST', body: { ...body, ...(reviewer ? { reviewer } : {}) } });
      setDetail(r.part);
      setMode(null);
      setStatus({ text: `${what} by ${r.review.reviewer}: now ${r.review.verdict}` });
      loadRates();
    } catch (e) {
      setStatus({ error: true, text: e.message });
    }
  }

  async function next() {
    const { id: n } = await api(`/api/next-unreviewed-fail?after=${id}`);
    if (n === null) setStatus({ text: 'no unreviewed fails left' });
    else navigate(`/part/${n}`);
  }

  function startRelabel() {
    const d = defects();
    if (!d.length) {
      setStatus({ error: true, text: 'no defect detections to relabel: draw the boxes instead (b)' });
      return;
    }
    setLabels(d.map((x) => x.label));
    setMode('relabel');
  }

  function startBoxes() {
    setBoxes(defects().map((d) => ({ label: d.label, box: d.cropBox })));
    setMode('box');
  }

  function saveBoxes() {
    if (!boxes.length) return setStatus({ error: true, text: 'no boxes: draw one, or overturn (o) to pass the part' });
    const machine = detail.part.verdict;
    if (machine === 'pass') return review({ decision: 'overturn', boxes }, 'overturned with boxes');
    if (machine === 'fail') return review({ decision: 'relabel', boxes }, 'boxes redrawn');
    return review({ decision: 'relabel', verdict: 'fail', boxes }, 'failed with boxes');
  }

  // One listener for the page's life, calling this render's handler: state set just before a key
  // (a box drawn, then Enter) is seen, which a listener re-added after each render could miss.
  const onKeyRef = useRef(null);
  useEffect(() => {
    const listener = (e) => onKeyRef.current?.(e);
    addEventListener('keydown', listener);
    return () => removeEventListener('keydown', listener);
  }, []);
  {
    onKeyRef.current = (e) => {
      if (!detail || e.ctrlKey || e.metaKey || e.altKey) return;
      const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
      if (e.key === 'Escape') {
        if (help) setHelp(false);
        else if (mode) setMode(null);
        else navigate('/');
        return;
      }
      if (e.key === 'Enter' && mode) {
        e.preventDefault();
        if (mode === 'relabel') review({ decision: 'relabel', labels }, 'relabelled');
        else saveBoxes();
        return;
      }
      if (typing) return;
      const machine = detail.part.verdict;
      const decided = machine === 'pass' || machine === 'fail';
      const keys = {
        c: () => (decided ? review({ decision: 'confirm' }, 'confirmed') : setStatus({ error: true, text: 'press p or f' })),
        o: () => (decided ? review({ decision: 'overturn' }, 'overturned') : setStatus({ error: true, text: 'press p or f' })),
        p: () => !decided && review({ decision: 'confirm', verdict: 'pass' }, 'passed'),
        f: () => !decided && review({ decision: 'confirm', verdict: 'fail' }, 'failed'),
        r: startRelabel,
        b: startBoxes,
        n: next,
        '+': () => setZoom((z) => Math.min(8, z * 1.25)),
        '=': () => setZoom((z) => Math.min(8, z * 1.25)),
        '-': () => setZoom((z) => Math.max(0.25, z / 1.25)),
        0: () => setZoom(1),
        '?': () => setHelp((h) => !h),
        Delete: () => mode === 'box' && setBoxes((b) => b.slice(0, -1)),
        Backspace: () => mode === 'box' && setBoxes((b) => b.slice(0, -1)),
      };
      const act = keys[e.key];
      if (act) {
        e.preventDefault();
        act();
      }
    };
  }

  if (!detail) return html`<header><a href="/" onClick=${(e) => { e.preventDefault(); navigate('/'); }}>line</a></header>
    ${status ? html`<div class=${`status ${status.error ? 'error' : ''}`}>${status.text}</div>` : html`<p class="loading">loading...</p>`}`;
  const p = detail.part;
  const cw = p.roi.cropWidth, ch = p.roi.cropHeight;
  const at = (e) => {
    const r = svg.current.getBoundingClientRect();
    return [Math.round(((e.clientX - r.left) / r.width) * cw), Math.round(((e.clientY - r.top) / r.height) * ch)];
  };
  const onDown = (e) => mode === 'box' && setDrag({ from: at(e), to: at(e) });
  const onMove = (e) => drag && setDrag({ ...drag, to: at(e) });
  const onUp = () => {
    if (!drag) return;
    const [x1, x2] = [drag.from[0], drag.to[0]].sort((a, b) => a - b), [y1, y2] = [drag.from[1], drag.to[1]].sort((a, b) => a - b);
    if (x2 - x1 >= 3 && y2 - y1 >= 3) setBoxes((b) => [...b, { label: boxLabel, box: [x1, y1, x2, y2] }]);
    setDrag(null);
  };
  const rect = ([x1, y1, x2, y2], colour, dashed, key) => html`<rect key=${key} x=${x1} y=${y1} width=${x2 - x1} height=${y2 - y1}
    fill="none" stroke=${colour} stroke-width=${Math.max(1, cw / 200)} stroke-dasharray=${dashed ? `${cw / 80}` : ''} />`;
  const shown = mode === 'box' ? boxes.map((b, i) => rect(b.box, '#ffb000', false, `b${i}`))
    : (p.review?.boxes ?? p.detections.map((d, i) => ({ ...d, box: d.cropBox, faint: !detail.defects[i] })))
      .map((b, i) => rect(b.box, b.faint ? '#aaa' : '#ff3030', b.faint, `d${i}`));
  const members = p.classification?.members ?? [];
  return html`
    <header>
      <a href="/" onClick=${(e) => { e.preventDefault(); navigate('/'); }}>line</a>
      <h1>part ${p.id}${p.partId ? ` (${p.partId})` : ''} - ${detail.imageName}</h1>
      <div class="kpis"><div class="kpi"><b>${pct(rates?.falseCallRate)}</b><span>false-call rate (${rates?.falseCalls ?? 0} of ${rates?.machineFailed ?? 0})</span></div>
        <div class="kpi"><b>${pct(rates?.escapeRate)}</b><span>escape rate (${rates?.escapes ?? 0} of ${rates?.machinePassed ?? 0})</span></div></div>
      <span>reviewer: <b>${reviewer || '(none: set it on the line view)'}</b></span>
    </header>
    <main class="part">
      <div class="viewer" onWheel=${(e) => { if (e.ctrlKey) { e.preventDefault(); setZoom((z) => Math.min(8, Math.max(0.25, z * (e.deltaY < 0 ? 1.1 : 0.9)))); } }}>
        <img id="annotated" src=${`${detail.images.annotated}?r=${p.review?.id ?? 0}`} style=${{ width: `${zoom * 100}%` }}
          alt="annotated image" />
      </div>
      <div class="side">
        <h2>verdict <span class=${`badge ${detail.effectiveVerdict}`} id="effective-verdict">${detail.effectiveVerdict}</span>
          ${p.review ? html` <small>(machine: <span class=${`badge ${p.verdict}`}>${p.verdict}</span>)</small>` : ''}</h2>
        <div>${p.reasons.join('; ') || 'no fail reasons'}</div>
        <div>inspected ${new Date(p.inspectedAt).toLocaleString()}; lot ${p.lot ?? '-'}, station ${p.station ?? '-'}, camera ${p.camera ?? '-'}${p.mode ? `; ${p.mode}` : ''}</div>
        <div>die angle <b id="die-angle">${p.dieAngle === null ? '-' : `${p.dieAngle.toFixed(2)} deg`}</b></div>
        ${p.review ? html`<div class="status" id="review">${p.review.decision} by ${p.review.reviewer}, ${new Date(p.review.reviewedAt)
          .toLocaleString()}${p.review.comment ? `: ${p.review.comment}` : ''} (${p.reviews} review${p.reviews === 1 ? '' : 's'})</div>` : ''}
        <h3>upright crop${mode === 'box' ? ' - drawing boxes' : ''}</h3>
        ${cw ? html`<div class="crop"><img src=${detail.images.crop} alt="upright crop" />
          <svg ref=${svg} class=${mode === 'box' ? '' : 'idle'} viewBox=${`0 0 ${cw} ${ch}`} preserveAspectRatio="none"
            onMouseDown=${onDown} onMouseMove=${onMove} onMouseUp=${onUp}>
            ${shown}${drag ? rect([...drag.from, ...drag.to].map((v, i, a) => (i < 2 ? Math.min(v, a[i + 2]) : Math.max(v, a[i - 2]))),
              '#00c0ff', true, 'drag') : ''}</svg></div>` : html`<div>no crop (roi ${p.roi.status})</div>`}
        ${mode === 'box' ? html`<div class="panel">label of new boxes <select value=${boxLabel} onChange=${(e) => setBoxLabel(e.target.value)}>
          ${config.classes.map((c) => html`<option>${c}</option>`)}</select> - ${boxes.length} box(es); Enter saves, Esc cancels</div>` : ''}
        ${mode === 'relabel' ? html`<div class="panel">${labels.map((l, i) => html`<div>defect ${i + 1}
          <select value=${l} onChange=${(e) => setLabels(labels.map((x, j) => (j === i ? e.target.value : x)))}>
          ${[...new Set([...config.classes, l])].map((c) => html`<option>${c}</option>`)}</select></div>`)} Enter saves, Esc cancels</div>` : ''}
        <h3>detections</h3>
        ${p.detections.length ? html`<table><tr><th>class</th><th>score</th><th>defect</th><th>box (crop px)</th></tr>
          ${p.detections.map((d, i) => html`<tr><td>${d.label}</td><td>${d.score.toFixed(3)}</td><td>${detail.defects[i] ? 'yes' : 'below threshold'}</td>
            <td>${d.cropBox.map((v) => Math.round(v)).join(', ')}</td></tr>`)}</table>` : html`<div>none</div>`}
        <h3>classifier defect probability</h3>
        ${p.classification ? html`<table>
          <tr><td>ensemble</td><td><span class="bar"><i style=${{ width: `${100 * (p.classification.defectProbability ?? 0)}%` }}></i></span>
            ${pct(p.classification.defectProbability)}</td></tr>
          ${members.map((m) => html`<tr><td>${m.name}</td><td><span class="bar"><i style=${{ width: `${100 * (m.defectProbability ?? 0)}%` }}></i></span>
            ${pct(m.defectProbability)}</td></tr>`)}</table>` : html`<div>not classified</div>`}
        ${status ? html`<div class=${`status ${status.error ? 'error' : ''}`} id="status">${status.text}</div>` : ''}
        <div class="keys">${KEYS.slice(0, 6).map(([k, what]) => html`<kbd>${k}</kbd> ${what.split(' (')[0]} `)} <kbd>?</kbd> more</div>
      </div>
    </main>
    ${help ? html`<div class="help"><h3>keys</h3><table>${KEYS.map(([k, what]) => html`<tr><td><kbd>${k}</kbd></td><td>${what}</td></tr>`)}
      </table></div>` : ''}`;
}
