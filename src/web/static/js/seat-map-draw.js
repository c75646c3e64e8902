// The one seat map renderer, shared by the campaign page (seat-map.js: seat states, picking)
// and the seller's venue editor (venue-editor.js: gaps, aisles, zones). It draws sections,
// row labels and seats as an SVG coloured by price zone; what a seat does when tapped is the
// caller's (`onSeat` decorates each seat element). `showEmpty` also draws gaps (hollow, so the
// editor can turn them back into seats) and aisles (a short bar); the buyer's map leaves them blank.
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const STEP = 22;

  const el = (name, attrs, parent) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (parent) parent.appendChild(e);
    return e;
  };

  /** A seat's words for screen readers and tooltips: "North Stand row B seat 5 (accessible)". */
  const seatWords = (section, row, cell) =>
    `${section.name} row ${row.label} seat ${cell.label}${cell.accessible ? ' (accessible)' : ''}${cell.restrictedView ? ' (restricted view)' : ''}`;

  /**
   * Draws `layout` ({ title, zones, sections: [{ name, rank, rows: [{ label, cells }] }] }) into
   * `box`. opts: showEmpty, keepOrder (sections as given, not by rank), onSeat(el, ctx),
   * onRow(el, ctx), onCell(el, ctx) for gaps and aisles; ctx = { section, row, cell, index }.
   */
  function drawSeatMap(box, layout, opts = {}) {
    const zones = new Map(layout.zones.map((z) => [z.code, z]));
    const width =
      Math.max(1, ...layout.sections.flatMap((s) => s.rows.map((r) => r.cells.length))) * STEP + 60;
    let y = 10;
    const svg = el('svg', { role: 'group', 'aria-label': layout.title, class: 'seat-map-svg' });
    const sections = opts.keepOrder ? layout.sections : [...layout.sections].sort((a, b) => a.rank - b.rank);
    for (const section of sections) {
      const t = el('text', { x: 10, y: y + 14, class: 'seat-map-section' }, svg);
      t.textContent = section.name;
      y += 26;
      for (const row of section.rows) {
        const label = el('text', { x: 10, y: y + 14, class: 'seat-map-row' }, svg);
        label.textContent = row.label;
        if (opts.onRow) opts.onRow(label, { section, row });
        row.cells.forEach((cell, index) => {
          const ctx = { section, row, cell, index };
          const cx = 50 + index * STEP;
          if (cell.kind === 'AISLE') {
            if (opts.showEmpty) {
              const a = el('rect', { x: cx - 2, y: y + 2, width: 4, height: 16, class: 'aisle' }, svg);
              if (opts.onCell) opts.onCell(a, ctx);
            }
            return;
          }
          if (cell.kind !== 'SEAT' && !opts.showEmpty) return;
          const zone = zones.get(cell.zone);
          const c = el(
            'circle',
            {
              cx,
              cy: y + 10,
              r: 8,
              fill: cell.kind === 'SEAT' ? (zone ? zone.color : '#888') : 'none',
              class: cell.kind === 'SEAT' ? 'seat' : 'seat gap',
            },
            svg,
          );
          c.dataset.label = seatWords(section, row, cell);
          if (cell.accessible) c.dataset.accessible = 'true';
          if (cell.restrictedView) c.dataset.restricted = 'true';
          if (cell.kind === 'SEAT' && opts.onSeat) opts.onSeat(c, ctx);
          else if (cell.kind !== 'SEAT' && opts.onCell) opts.onCell(c, ctx);
        });
        y += STEP;
      }
      y += 12;
    }
    svg.setAttribute('viewBox', `0 0 ${width} ${y}`);
    svg.dataset.width = String(width);
    box.replaceChildren(svg);
    if (box.seatMapZoom) box.seatMapZoom();
    return svg;
  }

  /** The legend: a swatch per zone (with `zoneText(zone)` beside it), then extra [class, text] items. */
  function drawLegend(ul, zones, zoneText, extra = []) {
    ul.replaceChildren(
      ...zones.map((z) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = z.color;
        li.append(swatch, ` ${zoneText(z)}`);
        li.dataset.zone = z.code;
        return li;
      }),
      ...extra.map(([k, text]) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = `swatch swatch-${k}`;
        li.append(swatch, ` ${text}`);
        return li;
      }),
    );
  }

  /**
   * Zoom buttons ([data-zoom="in"|"out"] inside `root`) scale the map inside its scrolling box.
   * A small map starts enlarged to the box's width (at most double), so seats are big enough to
   * tap on a phone; a wide one starts at its own size and scrolls.
   */
  function wireZoom(root, box) {
    let zoom = null;
    box.seatMapZoom = () => {
      const svg = box.querySelector('svg');
      if (!svg) return;
      const width = Number(svg.dataset.width);
      if (zoom === null) zoom = Math.min(2, Math.max(1, (box.clientWidth - 4) / width));
      svg.style.width = `${width * zoom}px`;
    };
    root.querySelectorAll('[data-zoom]').forEach((b) =>
      b.addEventListener('click', () => {
        zoom = Math.min(3, Math.max(0.4, (zoom ?? 1) * (b.dataset.zoom === 'in' ? 1.25 : 0.8)));
        box.seatMapZoom();
      }),
    );
  }

  window.seatMapDraw = { drawSeatMap, drawLegend, wireZoom, seatWords };
})();
