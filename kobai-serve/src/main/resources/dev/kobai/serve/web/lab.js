// The training lab: api/train's server-sent events drawn as they come; Stop closes the stream,
// which stops the training on the server at its next minibatch.
'use strict';

// What the page received, for tests and the curious.
window.kobaiLab = { start: null, batches: [], epochs: [], done: false, stopped: false, error: null };

const lab = {
  abort: null,

  async init() {
    kobaiI18n.init();
    const info = await kobaiApi.get('api/surfaces');
    const select = document.getElementById('data');
    for (const option of [...select.options]) if (!info.data.includes(option.value)) option.remove();
    const q = new URLSearchParams(location.search);
    for (const id of ['data', 'model', 'epochs', 'batch', 'seed']) {
      if (q.has(id)) document.getElementById(id).value = q.get(id);
    }
    if (q.has('opt')) document.getElementById('opts').value = q.getAll('opt').join('\n');
    document.getElementById('data').addEventListener('change', (e) => {
      document.getElementById('model').value = e.target.value === 'digits' ? 'mlp:64-64-10' : 'mlp:784-256-10';
    });
    document.getElementById('train').addEventListener('click', () => this.train());
    document.addEventListener('kobai-lang', () => this.legend());
    document.getElementById('stop').addEventListener('click', () => this.stop());
    this.draw();
  },

  query() {
    const q = new URLSearchParams();
    for (const id of ['data', 'model', 'epochs', 'batch', 'seed']) q.set(id, document.getElementById(id).value.trim());
    for (const line of document.getElementById('opts').value.split('\n')) if (line.trim()) q.append('opt', line.trim());
    return q;
  },

  async train() {
    this.stop();
    const q = this.query();
    const address = new URLSearchParams(q);
    address.set('lang', kobaiI18n.lang);
    history.replaceState(null, '', '?' + address);
    const state = window.kobaiLab = { start: null, batches: [], epochs: [], done: false, stopped: false, error: null };
    kobaiI18n.showError(document.getElementById('error'), null);
    this.status('lab.running');
    this.draw();
    this.abort = new AbortController();
    const handlers = {
      start: (o) => {
        state.start = o;
        state.batches = o.runs.map(() => []);
        state.epochs = o.runs.map(() => []);
        this.legend();
      },
      batch: (o) => { state.batches[o.run].push([o.step, o.loss]); this.schedule(); },
      epoch: (o) => { state.epochs[o.run].push(o); this.schedule(); this.legend(); },
      failed: (o) => {
        const label = state.start.runs[o.run].label + ': ';
        state.error = label + o.error;
        kobaiI18n.showError(document.getElementById('error'), new KobaiError(o), label);
      },
      done: () => { state.done = true; this.status('lab.done'); this.draw(); },
    };
    // The events are read from fetch's stream rather than an EventSource, which would hide a
    // refused request's status and message, and would reconnect (and so retrain) by itself.
    try {
      const res = await fetch('api/train?' + q, { signal: this.abort.signal });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new KobaiError(body, res.status);
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (value) buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block), data = /^data: (.*)$/m.exec(block);
          if (event && data && handlers[event[1]]) handlers[event[1]](JSON.parse(data[1]));
        }
        if (done) break;
      }
      if (!state.done) throw new KobaiError({ key: 'err.early' });
    } catch (e) {
      if (e.name === 'AbortError') return;
      state.error = e.message;
      kobaiI18n.showError(document.getElementById('error'), e);
      this.status('');
    }
  },

  stop() {
    if (this.abort && !window.kobaiLab.done && !window.kobaiLab.error) {
      this.abort.abort();
      window.kobaiLab.stopped = true;
      this.status('lab.stopped');
    }
    this.abort = null;
  },

  status(key) {
    const el = document.getElementById('status');
    if (key) { el.dataset.i18n = key; el.textContent = kobaiI18n.t(key); } else { delete el.dataset.i18n; el.textContent = ''; }
  },

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.draw(); });
  },

  legend() {
    const state = window.kobaiLab;
    const list = document.getElementById('legend');
    list.replaceChildren(...(state.start ? state.start.runs : []).map((r, i) => {
      const li = document.createElement('li');
      li.innerHTML = '<span class="swatch" style="background:' + KOBAI_COLORS[i % KOBAI_COLORS.length] + '"></span>';
      const code = document.createElement('code');
      code.textContent = r.spec;
      const label = document.createElement('span');
      label.translate = false;
      label.textContent = r.label + ' ';
      const last = state.epochs[i] && state.epochs[i][state.epochs[i].length - 1];
      const acc = document.createElement('span');
      acc.className = 'status';
      acc.textContent = last ? '  ' + kobaiI18n.t('lab.epoch').replace('{e}', last.epoch)
        .replace('{acc}', last.test_accuracy === null ? '-' : (100 * last.test_accuracy).toFixed(2)) : '';
      li.append(label, code, acc);
      return li;
    }));
  },

  draw() {
    const state = window.kobaiLab;
    const epochs = state.start ? state.start.epochs : Number(document.getElementById('epochs').value);
    const perEpoch = state.start ? state.start.batchesPerEpoch : 1;
    const losses = state.batches.flat().map((p) => p[1]).filter((v) => v !== null && isFinite(v));
    const maxLoss = losses.length ? Math.max(...losses) : 1;
    chart(document.getElementById('loss'), [0, epochs], [0, maxLoss * 1.05],
      state.batches.map((points, i) => ({ color: KOBAI_COLORS[i % KOBAI_COLORS.length],
        points: points.filter((p) => p[1] !== null).map((p) => [p[0] / perEpoch, p[1]]) })));
    chart(document.getElementById('accuracy'), [0, epochs], [0, 1],
      state.epochs.map((points, i) => ({ color: KOBAI_COLORS[i % KOBAI_COLORS.length], dots: true,
        points: points.filter((p) => p.test_accuracy !== null).map((p) => [p.epoch, p.test_accuracy]) })));
  },
};

// A line chart with axes labelled at whole epochs on x and five steps on y.
function chart(canvas, [x0, x1], [y0, y1], series) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, left = 48, bottom = 28, top = 10, right = 12;
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, w, h);
  const px = (x) => left + (x - x0) / (x1 - x0 || 1) * (w - left - right);
  const py = (y) => h - bottom - (y - y0) / (y1 - y0 || 1) * (h - top - bottom);
  ctx.strokeStyle = '#ccc'; ctx.fillStyle = '#555'; ctx.font = '12px sans-serif'; ctx.lineWidth = 1;
  for (let e = x0; e <= x1; e++) {
    ctx.beginPath(); ctx.moveTo(px(e), top); ctx.lineTo(px(e), h - bottom); ctx.stroke();
    ctx.fillText(String(e), px(e) - 3, h - 10);
  }
  for (let k = 0; k <= 5; k++) {
    const y = y0 + (y1 - y0) * k / 5;
    ctx.beginPath(); ctx.moveTo(left, py(y)); ctx.lineTo(w - right, py(y)); ctx.stroke();
    ctx.fillText(y.toPrecision(2), 4, py(y) + 4);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], k) => { if (k) ctx.lineTo(px(x), py(y)); else ctx.moveTo(px(x), py(y)); });
    ctx.stroke();
    if (s.dots) for (const [x, y] of s.points) { ctx.beginPath(); ctx.arc(px(x), py(y), 3.5, 0, 2 * Math.PI); ctx.fill(); }
  }
}

lab.init().catch((e) => kobaiI18n.showError(document.getElementById('error'), e));
