// The race playground: the setup lives in the page's URL; Play streams the paths from the server
// (api/race: the numbers kobai trace prints) and animates them as they arrive.
'use strict';

// What the page drew, for tests and the curious: the request, the header the server sent, each
// runner's points [x, y] (null where not finite), the step shown, and whether the stream ended.
window.kobaiRace = { request: null, header: null, paths: [], losses: [], shown: 0, done: false, error: null };

const race = {
  surfaces: [], presets: [], limits: null, plot: null,
  state: { surface: 'beale', formula: '', start: null, steps: 200, speed: 60, runners: [] },
  abort: null, timer: null, playing: false,

  async init() {
    kobaiI18n.init();
    const info = await kobaiApi.get('api/surfaces');
    this.surfaces = info.surfaces; this.presets = info.presets; this.limits = info.limits;
    const select = document.getElementById('surface');
    // A surface's name and formula are what the command line takes: not translated.
    for (const s of this.surfaces) {
      const option = new Option(s.name + ': ' + s.formula, s.name);
      option.translate = false;
      select.add(option);
    }
    select.add(new Option(kobaiI18n.t('race.custom'), 'expr'));
    const presets = document.getElementById('presets');
    for (const p of this.presets) {
      const b = document.createElement('button');
      b.textContent = p.name;
      b.addEventListener('click', () => this.usePreset(p));
      presets.append(b, ' ');
    }
    this.readUrl();
    select.addEventListener('change', () => { this.state.surface = select.value; this.state.start = null; this.changed(true); });
    document.getElementById('formula').addEventListener('change', (e) => {
      this.state.formula = e.target.value.trim(); this.state.surface = 'expr'; this.state.start = null; this.changed(true);
    });
    document.getElementById('steps').addEventListener('change', (e) => { this.state.steps = Number(e.target.value); this.changed(false); });
    document.getElementById('speed').addEventListener('change', (e) => { this.state.speed = Number(e.target.value); this.writeUrl(); });
    document.getElementById('add').addEventListener('click', () => this.addRunner());
    document.getElementById('newSpec').addEventListener('keydown', (e) => { if (e.key === 'Enter') this.addRunner(); });
    document.getElementById('play').addEventListener('click', () => this.play());
    document.getElementById('pause').addEventListener('click', () => this.pause());
    document.getElementById('clear').addEventListener('click', () => { this.state.runners = []; this.changed(false); });
    document.getElementById('plot').addEventListener('click', (e) => this.clickStart(e));
    document.addEventListener('kobai-lang', () => {
      select.options[select.options.length - 1].text = kobaiI18n.t('race.custom');
      this.renderRunners();
      this.renderLegend();
      this.writeUrl();
    });
    await this.loadSurface();
    if (this.state.runners.length) this.play();
  },

  surfaceName() {
    return this.state.surface === 'expr' ? 'expr:' + this.state.formula : this.state.surface;
  },

  // The URL: ?surface=NAME|expr:F&start=X,Y&steps=N&speed=S&r=LABEL=SPEC&r=...&lang=
  readUrl() {
    const q = new URLSearchParams(location.search);
    const s = q.get('surface');
    if (s && s.toLowerCase().startsWith('expr:')) { this.state.surface = 'expr'; this.state.formula = s.slice(5); }
    else if (s) this.state.surface = s;
    const start = q.get('start');
    if (start) {
      const v = start.split(',').map(Number);
      if (v.length === 2 && v.every(isFinite)) this.state.start = v;
    }
    if (q.has('steps')) this.state.steps = Number(q.get('steps'));
    if (q.has('speed')) this.state.speed = Number(q.get('speed'));
    this.state.runners = q.getAll('r').map((text) => {
      const eq = text.indexOf('='), colon = text.indexOf(':');
      return eq > 0 && (colon < 0 || eq < colon) ? { label: text.slice(0, eq), spec: text.slice(eq + 1) } : { label: '', spec: text };
    });
    if (!q.has('surface') && !this.state.runners.length) this.usePreset(this.presets[0], true);
    this.syncInputs();
  },

  writeUrl() {
    const q = new URLSearchParams();
    q.set('surface', this.surfaceName());
    if (this.state.start) q.set('start', this.state.start.join(','));
    q.set('steps', this.state.steps);
    q.set('speed', this.state.speed);
    for (const r of this.state.runners) q.append('r', r.label ? r.label + '=' + r.spec : r.spec);
    q.set('lang', kobaiI18n.lang);
    history.replaceState(null, '', '?' + q.toString());
  },

  syncInputs() {
    document.getElementById('surface').value = this.state.surface;
    document.getElementById('formula').value = this.state.formula;
    document.getElementById('steps').value = this.state.steps;
    document.getElementById('speed').value = this.state.speed;
    const start = this.state.start || (this.surface && this.surface.start);
    document.getElementById('start').textContent = start ? '(' + start.join(', ') + ')' : '';
    this.renderRunners();
  },

  usePreset(p, quiet) {
    this.state.surface = p.surface;
    this.state.start = p.start.slice();
    this.state.steps = p.steps;
    this.state.runners = p.runners.map((r) => ({ label: r.label, spec: r.spec }));
    this.presetDomain = p.domain;
    if (!quiet) { this.syncInputs(); this.loadSurface().then(() => this.play()); }
  },

  async loadSurface() {
    this.pause();
    this.showError(null);
    try {
      const known = this.surfaces.find((s) => s.name === this.state.surface);
      const domain = this.presetDomain && known ? this.presetDomain : null;
      this.surface = await kobaiApi.surface(this.surfaceName(), domain);
      this.plot = new SurfacePlot(document.getElementById('plot'), this.surface);
    } catch (e) {
      this.showError(e);
      return;
    }
    this.clearPaths();
    this.syncInputs();
    this.writeUrl();
  },

  changed(surfaceChanged) {
    this.presetDomain = null;
    this.syncInputs();
    this.writeUrl();
    if (surfaceChanged) this.loadSurface(); else { this.clearPaths(); }
  },

  clearPaths() {
    this.pause();
    window.kobaiRace = { request: null, header: null, paths: [], losses: [], shown: 0, done: false, error: null };
    this.redraw();
    this.renderLegend();
  },

  clickStart(e) {
    if (!this.plot) return;
    const c = e.target, rect = c.getBoundingClientRect();
    const [x, y] = this.plot.fromPx((e.clientX - rect.left) * c.width / rect.width, (e.clientY - rect.top) * c.height / rect.height);
    this.state.start = [Number(x.toPrecision(4)), Number(y.toPrecision(4))];
    this.syncInputs();
    this.writeUrl();
    if (this.state.runners.length) this.play(); else this.clearPaths();
  },

  addRunner() {
    const spec = document.getElementById('newSpec').value.trim();
    if (!spec) return;
    this.state.runners.push({ label: document.getElementById('newLabel').value.trim(), spec });
    document.getElementById('newSpec').value = '';
    document.getElementById('newLabel').value = '';
    this.changed(false);
  },

  renderRunners() {
    const body = document.querySelector('#runners tbody');
    body.replaceChildren();
    this.state.runners.forEach((r, i) => {
      const tr = document.createElement('tr');
      const sw = document.createElement('td');
      sw.innerHTML = '<span class="swatch" style="display:inline-block;width:1.2em;height:0.8em;background:' + KOBAI_COLORS[i % KOBAI_COLORS.length] + '"></span>';
      const label = document.createElement('input');
      label.type = 'text'; label.size = 9; label.value = r.label;
      label.addEventListener('change', () => { r.label = label.value.trim(); this.writeUrl(); this.renderLegend(); });
      const spec = document.createElement('input');
      spec.type = 'text'; spec.className = 'spec'; spec.value = r.spec;
      spec.addEventListener('change', () => { r.spec = spec.value.trim(); this.changed(false); });
      const remove = document.createElement('button');
      remove.textContent = '×'; remove.title = kobaiI18n.t('race.remove');
      remove.addEventListener('click', () => { this.state.runners.splice(i, 1); this.changed(false); });
      const cells = [label, spec, remove].map((el) => { const td = document.createElement('td'); td.append(el); return td; });
      tr.append(sw, ...cells);
      body.append(tr);
    });
  },

  async play() {
    if (!this.plot || !this.state.runners.length) return;
    this.clearPaths();
    const request = { surface: this.surfaceName(), start: this.state.start, steps: this.state.steps,
      runners: this.state.runners.map((r) => ({ label: r.label || null, spec: r.spec })) };
    const state = window.kobaiRace;
    state.request = request;
    this.abort = new AbortController();
    this.playing = true;
    this.tick();
    try {
      await kobaiApi.race(request, (header) => {
        state.header = header;
        state.paths = header.runners.map(() => []);
        state.losses = header.runners.map(() => []);
        document.getElementById('total').textContent = header.steps;
        this.renderLegend();
      }, (r, step, x, y, loss) => {
        state.paths[r][step] = x === null || y === null ? null : [x, y];
        state.losses[r][step] = loss;
      }, this.abort.signal);
      state.done = true;
    } catch (e) {
      if (e.name === 'AbortError') return;
      state.error = e.message;
      this.showError(e);
      this.playing = false;
    }
  },

  // Advances the step shown at the chosen speed, never past what has arrived for every runner.
  tick() {
    clearTimeout(this.timer);
    const state = window.kobaiRace;
    if (!this.playing) return;
    const interval = 1000 / Math.max(1, this.state.speed);
    const available = state.paths.length ? Math.min(...state.paths.map((p) => p.length - 1)) : -1;
    const total = state.header ? state.header.steps : Infinity;
    if (state.shown < available) state.shown++;
    this.redraw();
    this.renderLegend();
    if (state.done && state.shown >= total) { this.playing = false; return; }
    this.timer = setTimeout(() => this.tick(), interval);
  },

  pause() {
    this.playing = false;
    clearTimeout(this.timer);
  },

  redraw() {
    if (!this.plot) return;
    const state = window.kobaiRace;
    const runners = state.paths.map((points, i) => ({ color: KOBAI_COLORS[i % KOBAI_COLORS.length], points }));
    this.plot.draw(runners, state.shown, this.state.start || this.surface.start);
    document.getElementById('counter').textContent = state.shown;
  },

  // One line per runner: colour, label, spec, f at the step shown, and where it left or diverged.
  renderLegend() {
    const list = document.getElementById('legend');
    list.replaceChildren();
    const state = window.kobaiRace;
    if (!state.header) return;
    state.header.runners.forEach((r, i) => {
      const li = document.createElement('li');
      const points = state.paths[i] || [];
      let status = '', bad = false;
      for (let k = 0; k <= Math.min(state.shown, points.length - 1); k++) {
        const p = points[k];
        if (p === null) { status = kobaiI18n.t('race.diverged') + ' ' + k; bad = true; break; }
        if (!this.plot.inside(p[0], p[1])) { status = kobaiI18n.t('race.left') + ' ' + k; break; }
      }
      const loss = (state.losses[i] || [])[Math.min(state.shown, points.length - 1)];
      const f = loss !== undefined && loss !== null && !status ? 'f = ' + Number(loss).toPrecision(5) : '';
      li.innerHTML = '<span class="swatch" style="background:' + KOBAI_COLORS[i % KOBAI_COLORS.length] + '"></span>';
      // The label is the user's, or the optimizer's name: not translated.
      const text = document.createElement('span');
      text.translate = false;
      text.textContent = r.label + '  ';
      const spec = document.createElement('code');
      spec.textContent = r.spec;
      const st = document.createElement('span');
      st.className = 'status' + (bad ? ' bad' : '');
      st.textContent = ' ' + (status || f);
      li.append(text, spec, st);
      list.append(li);
    });
  },

  showError(error) {
    kobaiI18n.showError(document.getElementById('error'), error);
  },
};

race.init().catch((e) => race.showError(e));
