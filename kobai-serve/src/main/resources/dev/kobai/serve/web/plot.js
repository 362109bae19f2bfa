// Drawing a surface (filled contours from a grid of values), paths and markers on a canvas.
'use strict';

const KOBAI_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf',
  '#bcbd22', '#d62728', '#393b79', '#637939', '#7f7f7f'];

// A perceptually ordered colour map (dark blue to yellow), as stops interpolated linearly.
const KOBAI_MAP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function kobaiColorAt(t) {
  t = Math.min(1, Math.max(0, t)) * (KOBAI_MAP.length - 1);
  const i = Math.min(KOBAI_MAP.length - 2, Math.floor(t));
  const f = t - i;
  return KOBAI_MAP[i].map((c, k) => Math.round(c + (KOBAI_MAP[i + 1][k] - c) * f));
}

class SurfacePlot {
  // canvas: the element; surface: {domain: [xmin, xmax, ymin, ymax], grid: {nx, ny, values}, minima}
  constructor(canvas, surface) {
    this.canvas = canvas;
    this.surface = surface;
    this.domain = surface.domain;
    this.background = null;
  }

  toPx(x, y) {
    const [x0, x1, y0, y1] = this.domain;
    return [(x - x0) / (x1 - x0) * this.canvas.width, (y1 - y) / (y1 - y0) * this.canvas.height];
  }

  fromPx(px, py) {
    const [x0, x1, y0, y1] = this.domain;
    return [x0 + px / this.canvas.width * (x1 - x0), y1 - py / this.canvas.height * (y1 - y0)];
  }

  inside(x, y) {
    const [x0, x1, y0, y1] = this.domain;
    return x >= x0 && x <= x1 && y >= y0 && y <= y1;
  }

  // Filled contours: the value at each pixel (bilinear in the grid) on a log scale above the
  // grid's minimum, cut into 18 bands, with a darker pixel where the band changes.
  renderBackground() {
    const { nx, ny, values } = this.surface.grid;
    const w = this.canvas.width, h = this.canvas.height;
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
      if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    const span = Math.log1p(Math.max(hi - lo, 1e-12));
    const bands = 18;
    const band = new Int16Array(w * h);
    for (let py = 0; py < h; py++) {
      const gy = (1 - py / (h - 1)) * (ny - 1);
      const j = Math.min(ny - 2, Math.floor(gy)), fy = gy - j;
      for (let px = 0; px < w; px++) {
        const gx = px / (w - 1) * (nx - 1);
        const i = Math.min(nx - 2, Math.floor(gx)), fx = gx - i;
        const a = values[j * nx + i], b = values[j * nx + i + 1];
        const c = values[(j + 1) * nx + i], d = values[(j + 1) * nx + i + 1];
        let v;
        if (a === null || b === null || c === null || d === null) {
          v = hi;
        } else {
          v = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
        }
        const t = Math.log1p(Math.max(v - lo, 0)) / span;
        band[py * w + px] = Math.min(bands - 1, Math.floor(t * bands));
      }
    }
    const image = new ImageData(w, h);
    for (let p = 0; p < w * h; p++) {
      const b = band[p];
      let [r, g, bl] = kobaiColorAt((b + 0.5) / bands);
      const px = p % w;
      const edge = (px + 1 < w && band[p + 1] !== b) || (p + w < w * h && band[p + w] !== b);
      const k = edge ? 0.72 : 1;
      image.data[4 * p] = r * k; image.data[4 * p + 1] = g * k; image.data[4 * p + 2] = bl * k;
      image.data[4 * p + 3] = 255;
    }
    this.background = image;
  }

  // runners: [{color, points: [[x, y], ...]}]; upto: the last step drawn (inclusive); start: [x, y]
  draw(runners, upto, start) {
    const ctx = this.canvas.getContext('2d');
    if (!this.background) this.renderBackground();
    ctx.putImageData(this.background, 0, 0);
    for (const m of this.surface.minima || []) this.star(ctx, m[0], m[1]);
    if (start) {
      const [sx, sy] = this.toPx(start[0], start[1]);
      ctx.strokeStyle = '#fff'; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(sx, sy, 6, 0, 2 * Math.PI); ctx.stroke();
    }
    for (const r of runners) {
      const pts = r.points;
      const last = Math.min(upto, pts.length - 1);
      if (last < 0) continue;
      ctx.strokeStyle = r.color; ctx.lineWidth = 2.2; ctx.lineJoin = 'round';
      ctx.beginPath();
      let drawn = -1;
      for (let k = 0; k <= last; k++) {
        const p = pts[k];
        if (p === null || p[0] === null || p[1] === null) break;
        const [px, py] = this.toPx(p[0], p[1]);
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
        drawn = k;
        if (!this.inside(p[0], p[1])) break;
      }
      ctx.stroke();
      if (drawn >= 0) {
        const [px, py] = this.toPx(pts[drawn][0], pts[drawn][1]);
        ctx.fillStyle = r.color; ctx.strokeStyle = '#fff'; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.arc(px, py, 4.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      }
    }
  }

  star(ctx, x, y) {
    const [px, py] = this.toPx(x, y);
    ctx.fillStyle = '#fff'; ctx.strokeStyle = '#000'; ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const r = k % 2 ? 3.5 : 8, a = -Math.PI / 2 + k * Math.PI / 5;
      ctx.lineTo(px + r * Math.cos(a), py + r * Math.sin(a));
    }
    ctx.closePath(); ctx.fill(); ctx.stroke();
  }
}

// The API: JSON requests; a refusal, {error, code, args}, is thrown as a KobaiError.
const kobaiApi = {
  async get(path) {
    const res = await fetch(path);
    const body = await res.json();
    if (!res.ok) throw new KobaiError(body, res.status);
    return body;
  },

  // A long formula goes in the body of a POST, where the server reads the same parameters: an
  // address has a limit of its own (the server's 32 KiB, and less in some browsers and proxies).
  async surface(name, domain) {
    let q = 'surface=' + encodeURIComponent(name);
    if (domain) q += '&domain=' + domain.join(',');
    if (q.length <= 2000) return this.get('api/surface?' + q);
    const res = await fetch('api/surface', { method: 'POST', body: q,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const body = await res.json();
    if (!res.ok) throw new KobaiError(body, res.status);
    return body;
  },

  // Streams a race: onHeader(header) once, onPoint(r, step, x, y, loss) per point as it arrives.
  async race(request, onHeader, onPoint, signal) {
    const res = await fetch('api/race', { method: 'POST', body: JSON.stringify(request),
      headers: { 'Content-Type': 'application/json' }, signal });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new KobaiError(body, res.status);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '', header = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const o = JSON.parse(line);
        if (!header) { header = o; onHeader(o); continue; }
        if (o.error) throw new KobaiError(o);
        if (o.done) return header;
        onPoint(o.r, o.step, o.x, o.y, o.loss);
      }
      if (done) throw new KobaiError({ key: 'err.early' });
    }
  },
};
