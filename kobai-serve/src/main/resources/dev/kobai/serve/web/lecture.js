// The lecture's live figures. Each is redrawn from the server when a slider moves: the paths are
// api/race's (the numbers kobai trace prints), the natural-gradient and SGD figures their own endpoints.
'use strict';

// What each figure drew, for tests and the curious: {specs, paths: [[x, y] ...] per runner, done}.
window.kobaiFigures = {};

const lecture = {
  presets: {},
  surfaceCache: new Map(),

  async init() {
    kobaiI18n.init();
    const info = await kobaiApi.get('api/surfaces');
    for (const p of info.presets) this.presets[p.name] = p;
    const at = (name) => document.querySelector('[data-figure="' + name + '"]');
    const fmt = (v) => Number(v.toPrecision(3));
    const lr = (min, max, value) => ({ key: 'lr', label: 'fig.lr', min, max, value, log: true });
    this.traceFigure(at('gd'), 'gd', { surfaces: ['long-valley'], steps: 60, sliders: [lr(0.001, 0.03, 0.015)],
      runners: (v) => [{ label: 'run.sgd', spec: 'sgd:lr=' + fmt(v.lr) }] });
    this.sgdFigure(at('sgd'));
    this.traceFigure(at('momentum'), 'momentum', { surfaces: ['long-valley', 'beale', 'saddle'], steps: 150,
      sliders: [lr(0.0005, 0.05, 0.01), { key: 'mu', label: 'fig.momentum', min: 0, max: 0.99, value: 0.9 }],
      runners: (v) => [
        { label: 'run.sgd', spec: 'sgd:lr=' + fmt(v.lr) },
        { label: 'run.momentum', spec: 'sgd:lr=' + fmt(v.lr) + ',momentum=' + fmt(v.mu) },
        { label: 'run.nesterov', spec: 'sgd:lr=' + fmt(v.lr) + ',momentum=' + fmt(v.mu) + ',nesterov=true' }] });
    this.traceFigure(at('adagrad'), 'adagrad', { surfaces: ['beale', 'long-valley', 'saddle'], steps: 250,
      sliders: [lr(0.01, 3, 0.5)], runners: (v) => [{ label: 'run.adagrad', spec: 'adagrad:lr=' + fmt(v.lr) }] });
    this.traceFigure(at('adadelta'), 'adadelta', { surfaces: ['beale', 'long-valley', 'saddle'], steps: 250,
      sliders: [lr(0.1, 30, 10), { key: 'rho', label: 'ρ', min: 0.5, max: 0.99, value: 0.9 }],
      runners: (v) => [
        { label: 'run.adadelta', spec: 'adadelta:lr=' + fmt(v.lr) + ',rho=' + fmt(v.rho) },
        { label: 'adadelta.lecturerule', spec: 'rmsprop:lr=0.02,alpha=' + fmt(v.rho) }] });
    this.traceFigure(at('rmsprop'), 'rmsprop', { surfaces: ['beale', 'long-valley', 'saddle'], steps: 250,
      sliders: [lr(0.001, 0.3, 0.02), { key: 'alpha', label: 'α', min: 0.5, max: 0.999, value: 0.99 }],
      runners: (v) => [{ label: 'run.rmsprop', spec: 'rmsprop:lr=' + fmt(v.lr) + ',alpha=' + fmt(v.alpha) }] });
    const adam = this.traceFigure(at('adam'), 'adam', { surfaces: ['beale', 'long-valley', 'saddle'], steps: 250,
      sliders: [lr(0.001, 0.5, 0.05), { key: 'b1', label: 'β₁', min: 0, max: 0.9999, value: 0.9 },
        { key: 'b2', label: 'β₂', min: 0, max: 0.9999, value: 0.999 }],
      runners: (v) => [{ label: 'run.adam', spec: 'adam:lr=' + fmt(v.lr) + ',betas=' + v.b1 + '/' + v.b2 }] });
    const buttons = document.createElement('p');
    for (const [key, b1, b2] of [['adam.lecture', 0.9999, 1e-8], ['adam.paper', 0.9, 0.999]]) {
      const b = document.createElement('button');
      b.dataset.i18n = key;
      b.textContent = kobaiI18n.t(key);
      b.addEventListener('click', () => { adam.set('b1', b1); adam.set('b2', b2); });
      buttons.append(b, ' ');
    }
    at('adam').after(buttons);
    const newton = at('newton');
    // Off the saddle's ridge by 0.2, so that the two methods part at the first step: Newton lands on
    // the saddle point, saddle-free Newton doubles its distance from the ridge each step.
    for (const [surface, id, start] of [['long-valley', 'newton-quadratic', null], ['saddle', 'newton-saddle', [-1.5, 0.2]]]) {
      const box = document.createElement('div');
      newton.append(box);
      this.traceFigure(box, id, { surfaces: [surface], steps: 4, size: [420, 300], start,
        sliders: [{ key: 'steps', label: 'fig.steps', min: 1, max: 20, value: 4, integer: true }],
        runners: () => [{ label: 'run.newton', spec: 'newton' }, { label: 'run.saddlefree', spec: 'newton:indefinite=saddle-free' }] });
    }
    this.naturalFigure(at('natural'));
    this.quiz();
    document.addEventListener('kobai-lang', () => {
      for (const el of document.querySelectorAll('.quiz .why')) el.innerHTML = kobaiMath(kobaiI18n.t(el.dataset.key));
    });
  },

  // A slider over [min, max], linear or logarithmic; shows its value; calls onChange(value).
  slider(controls, spec, onChange) {
    const label = document.createElement('label');
    label.textContent = spec.label.startsWith('fig.') ? kobaiI18n.t(spec.label) : spec.label;
    if (spec.label.startsWith('fig.')) label.dataset.i18n = spec.label;
    const input = document.createElement('input');
    input.type = 'range'; input.min = 0; input.max = 1000; input.dataset.key = spec.key;
    const out = document.createElement('output');
    const toValue = (pos) => {
      const t = pos / 1000;
      let v = spec.log ? Math.exp(Math.log(spec.min) + t * (Math.log(spec.max) - Math.log(spec.min)))
        : spec.min + t * (spec.max - spec.min);
      return spec.integer ? Math.round(v) : Number(v.toPrecision(3));
    };
    const toPos = (v) => {
      const t = spec.log ? (Math.log(v) - Math.log(spec.min)) / (Math.log(spec.max) - Math.log(spec.min))
        : (v - spec.min) / (spec.max - spec.min);
      return Math.round(Math.min(1, Math.max(0, t)) * 1000);
    };
    const set = (v, notify) => {
      input.value = toPos(v);
      out.textContent = v;
      if (notify) onChange(v);
    };
    input.addEventListener('input', () => { const v = toValue(Number(input.value)); out.textContent = v; onChange(v); });
    set(spec.value, false);
    controls.append(label, input, out);
    return set;
  },

  async surface(name, domain) {
    const key = name + '|' + domain;
    if (!this.surfaceCache.has(key)) this.surfaceCache.set(key, kobaiApi.surface(name, domain));
    return this.surfaceCache.get(key);
  },

  // A surface with optimizer paths; sliders and the surface choice redraw it, a click moves the start.
  traceFigure(host, id, options) {
    const values = {};
    for (const s of options.sliders) values[s.key] = s.value;
    const [w, h] = options.size || [560, 380];
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    canvas.id = 'fig-' + id;
    const side = document.createElement('div');
    const controls = document.createElement('div');
    controls.className = 'controls';
    const legend = document.createElement('ul');
    legend.className = 'legend';
    const error = document.createElement('div');
    error.className = 'error';
    const hint = document.createElement('p');
    hint.className = 'note'; hint.dataset.i18n = 'fig.click'; hint.textContent = kobaiI18n.t('fig.click');
    side.append(controls, legend, error, hint);
    host.append(canvas, side);
    let surfaceName = options.surfaces[0];
    let start = null, plot = null, abort = null, timer = null, shown = [];
    // Each runner's label is a text key: the legend is written again when the language changes.
    const renderLegend = () => legend.replaceChildren(...shown.map((r, i) => {
      const li = document.createElement('li');
      li.innerHTML = '<span class="swatch" style="background:' + KOBAI_COLORS[i] + '"></span>';
      const code = document.createElement('code');
      code.textContent = r.spec;
      li.append(kobaiI18n.t(r.label) + ' ', code);
      return li;
    }));
    document.addEventListener('kobai-lang', renderLegend);
    const figure = { specs: [], paths: [], done: false, redraws: 0 };
    window.kobaiFigures[id] = figure;
    if (options.surfaces.length > 1) {
      // The lecture's surfaces, or one typed as a formula in x and y (expr:).
      const label = document.createElement('label');
      label.dataset.i18n = 'fig.surface'; label.textContent = kobaiI18n.t('fig.surface');
      const select = document.createElement('select');
      select.translate = false;
      for (const s of options.surfaces) select.add(new Option(s, s));
      select.add(new Option('expr:', 'expr'));
      const formula = document.createElement('input');
      formula.type = 'text'; formula.value = 'x^2 + 10*y^2 + sin(3*x)'; formula.hidden = true;
      formula.className = 'spec';
      const chosen = () => (select.value === 'expr' ? 'expr:' + formula.value.trim() : select.value);
      select.addEventListener('change', () => {
        formula.hidden = select.value !== 'expr';
        surfaceName = chosen(); start = null; schedule();
      });
      formula.addEventListener('change', () => { surfaceName = chosen(); start = null; schedule(); });
      const pick = document.createElement('span');
      pick.append(select, ' ', formula);
      controls.append(label, pick, document.createElement('span'));
    }
    const setters = {};
    for (const s of options.sliders) {
      setters[s.key] = this.slider(controls, s, (v) => { values[s.key] = v; schedule(); });
    }
    const schedule = () => { clearTimeout(timer); timer = setTimeout(run, 120); };
    const run = async () => {
      if (abort) abort.abort();
      abort = new AbortController();
      const preset = this.presets[surfaceName];
      let surface;
      try {
        surface = await this.surface(surfaceName, preset ? preset.domain : null);
      } catch (e) {
        this.surfaceCache.delete(surfaceName + '|' + (preset ? preset.domain : null));
        kobaiI18n.showError(error, e);
        return;
      }
      plot = new SurfacePlot(canvas, surface);
      const from = start || options.start || (preset ? preset.start : surface.start);
      const runners = options.runners(values);
      const steps = values.steps !== undefined ? values.steps : options.steps;
      const paths = runners.map(() => []);
      figure.done = false;
      kobaiI18n.showError(error, null);
      const draw = () => plot.draw(paths.map((points, i) => ({ color: KOBAI_COLORS[i], points })), steps, from);
      try {
        const request = runners.map((r) => ({ label: kobaiI18n.t(r.label), spec: r.spec }));
        await kobaiApi.race({ surface: surfaceName, start: from, steps, runners: request }, () => {}, (r, step, x, y) => {
          paths[r][step] = x === null || y === null ? null : [x, y];
        }, abort.signal);
      } catch (e) {
        if (e.name === 'AbortError') return;
        kobaiI18n.showError(error, e);
      }
      draw();
      shown = runners;
      renderLegend();
      Object.assign(figure, { specs: runners.map((r) => r.spec), paths, start: from, surface: surfaceName, done: true });
      figure.redraws++;
    };
    canvas.addEventListener('click', (e) => {
      if (!plot) return;
      const rect = canvas.getBoundingClientRect();
      const [x, y] = plot.fromPx((e.clientX - rect.left) * canvas.width / rect.width, (e.clientY - rect.top) * canvas.height / rect.height);
      start = [Number(x.toPrecision(4)), Number(y.toPrecision(4))];
      schedule();
    });
    run();
    return { set: (key, v) => { values[key] = v; setters[key](v, false); schedule(); } };
  },

  // Minibatch gradients around the full gradient, for one batch size.
  sgdFigure(host) {
    const canvas = document.createElement('canvas');
    canvas.width = 420; canvas.height = 420; canvas.id = 'fig-sgd';
    const side = document.createElement('div');
    const controls = document.createElement('div');
    controls.className = 'controls';
    const note = document.createElement('p');
    note.className = 'note';
    side.append(controls, note);
    host.append(canvas, side);
    const figure = { done: false };
    window.kobaiFigures.sgd = figure;
    let batch = 8, timer = null;
    this.slider(controls, { key: 'batch', label: 'sgd.batch', min: 1, max: 256, value: batch, log: true, integer: true },
      (v) => { batch = v; clearTimeout(timer); timer = setTimeout(run, 120); });
    controls.querySelector('label').dataset.i18n = 'sgd.batch';
    controls.querySelector('label').textContent = kobaiI18n.t('sgd.batch');
    const run = async () => {
      let data;
      try { data = await kobaiApi.get('api/sgd?batch=' + batch); } catch (e) { shown = null; kobaiI18n.showError(note, e); return; }
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height);
      const scale = (canvas.width / 2 - 20) / data.radius;
      const cx = canvas.width / 2 - data.full[0] * scale / 2, cy = canvas.height / 2;
      ctx.strokeStyle = '#ddd';
      ctx.beginPath(); ctx.moveTo(0, cy); ctx.lineTo(canvas.width, cy); ctx.moveTo(cx, 0); ctx.lineTo(cx, canvas.height); ctx.stroke();
      ctx.fillStyle = 'rgba(31, 111, 235, 0.45)';
      for (const [a, b] of data.samples) {
        ctx.beginPath(); ctx.arc(cx + a * scale, cy - b * scale, 3, 0, 2 * Math.PI); ctx.fill();
      }
      ctx.strokeStyle = '#000'; ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(cx + data.full[0] * scale, cy - data.full[1] * scale); ctx.stroke();
      shown = data;
      writeNote();
      Object.assign(figure, { batch: data.batch, samples: data.samples, done: true });
    };
    // The note is written again from the numbers drawn, at once, when the language changes.
    let shown = null;
    const writeNote = () => {
      if (!shown) return;
      kobaiI18n.showError(note, null);
      note.textContent = kobaiI18n.t('sgd.note').replace('{B}', shown.batch).replace('{n}', shown.samples.length)
        .replace('{mse}', shown.meanSquaredError.toPrecision(3)).replace('{scaled}', (shown.meanSquaredError * shown.batch).toPrecision(3));
    };
    document.addEventListener('kobai-lang', writeNote);
    run();
  },

  // Gradient descent and natural gradient, each in two parametrisations, drawn in (w, b).
  naturalFigure(host) {
    const panels = [['sgd', 'nat.gd', 1, 0.1, 8], ['natural', 'nat.ng', 0.25, 0.02, 0.6]];
    for (const [method, title, value, min, max] of panels) {
      const box = document.createElement('div');
      const h = document.createElement('h3');
      h.dataset.i18n = title; h.textContent = kobaiI18n.t(title);
      const canvas = document.createElement('canvas');
      canvas.width = 420; canvas.height = 330; canvas.id = 'fig-natural-' + method;
      const controls = document.createElement('div');
      controls.className = 'controls';
      const legend = document.createElement('ul');
      legend.className = 'legend';
      for (const [key, dash] of [['nat.direct', ''], ['nat.reparam', 'dashed']]) {
        const li = document.createElement('li');
        li.innerHTML = '<span class="swatch" style="background:' + (dash ? '#ff7f0e' : '#1f77b4') + '"></span>';
        const span = document.createElement('span');
        span.dataset.i18n = key; span.textContent = kobaiI18n.t(key);
        li.append(span);
        legend.append(li);
      }
      box.append(h, canvas, controls, legend);
      host.append(box);
      const figure = { done: false };
      window.kobaiFigures['natural-' + method] = figure;
      let lr = value, timer = null;
      const run = async () => {
        let data;
        try { data = await kobaiApi.get('api/natural?method=' + method + '&lr=' + lr + '&steps=30'); } catch (e) { legend.append(e.message); return; }
        const plot = new SurfacePlot(canvas, { domain: data.domain, grid: data.grid, minima: [] });
        plot.draw([{ color: '#1f77b4', points: data.direct }, { color: '#ff7f0e', points: data.reparametrised }], 1e9, data.direct[0]);
        const ctx = canvas.getContext('2d');
        ctx.setLineDash([6, 5]); ctx.strokeStyle = '#ff7f0e'; ctx.lineWidth = 2;
        ctx.beginPath();
        data.reparametrised.forEach((p, k) => { const [x, y] = plot.toPx(p[0], p[1]); if (k) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
        ctx.stroke(); ctx.setLineDash([]);
        Object.assign(figure, { direct: data.direct, reparametrised: data.reparametrised, done: true });
      };
      this.slider(controls, { key: 'lr', label: 'fig.lr', min, max, value, log: true },
        (v) => { lr = v; clearTimeout(timer); timer = setTimeout(run, 120); });
      run();
    }
  },

  // Each question's choices; a click marks the choice right or wrong and shows why, for every choice.
  quiz() {
    for (const q of document.querySelectorAll('[data-quiz]')) {
      const key = q.dataset.quiz;
      const p = document.createElement('p');
      p.dataset.i18nHtml = key;
      p.innerHTML = kobaiMath(kobaiI18n.t(key));
      q.append(p);
      for (const c of q.dataset.choices.split(',')) {
        const b = document.createElement('button');
        b.className = 'choice'; b.dataset.choice = c;
        b.dataset.i18n = key + '.' + c; b.textContent = kobaiI18n.t(key + '.' + c);
        const why = document.createElement('div');
        why.className = 'why'; why.hidden = true; why.dataset.key = key + '.' + c + '.why';
        why.innerHTML = kobaiMath(kobaiI18n.t(why.dataset.key));
        b.addEventListener('click', () => {
          b.classList.add(c === q.dataset.answer ? 'right' : 'wrong');
          for (const w of q.querySelectorAll('.why')) w.hidden = false;
          q.querySelector('[data-choice="' + q.dataset.answer + '"]').classList.add('right');
          q.dataset.answered = c;
        });
        q.append(b, why);
      }
    }
  },
};

lecture.init().catch((e) => console.error(e));
