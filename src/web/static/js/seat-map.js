/* global io */
// The seat map of a seated campaign: an SVG of its sections, rows and seats, coloured by price
// zone, with every seat's state (GET /api/v1/campaigns/:id/seats) kept live from `seat:states`
// (absolute lists of HELD and SOLD seats, sent on join and after every booking change). On the
// campaign page a tap picks or drops an available seat (window.seatPicks, read by checkout.js);
// the seller's editor shows the same map read-only. Zoom buttons scale it inside a scrolling box.
(function () {
  const root = document.querySelector('[data-seat-map]');
  if (!root || typeof window.api !== 'function') return;
  const campaignId = root.dataset.campaignId;
  const pickable = root.dataset.pickable === 'true';
  const box = root.querySelector('[data-seat-map-canvas]');
  const legend = root.querySelector('[data-seat-map-legend]');
  const status = root.querySelector('[data-seat-map-status]');
  const SVG = 'http://www.w3.org/2000/svg';
  const STEP = 22;
  const picks = new Map(); // seatId → ticketTypeId
  const seatEls = new Map();
  let typeOfZone = new Map();
  let zoom = 1;
  window.seatPicks = picks;

  const el = (name, attrs, parent) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (parent) parent.appendChild(e);
    return e;
  };
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const changed = () => document.dispatchEvent(new CustomEvent('seat-picks'));

  function setState(seatId, state) {
    const c = seatEls.get(seatId);
    if (!c) return;
    c.dataset.state = state;
    const label = c.dataset.label;
    c.setAttribute(
      'aria-label',
      `${label}, ${state === 'AVAILABLE' ? 'available' : state === 'HELD' ? 'held' : 'sold'}`,
    );
    if (state !== 'AVAILABLE' && picks.has(seatId)) {
      picks.delete(seatId);
      c.dataset.picked = 'false';
      say(`${label} was just taken by someone else`);
      changed();
    }
  }

  function toggle(c) {
    const id = c.dataset.seatId;
    if (!pickable || c.dataset.state !== 'AVAILABLE' || !c.dataset.ticketTypeId) return;
    if (picks.has(id)) picks.delete(id);
    else picks.set(id, c.dataset.ticketTypeId);
    c.dataset.picked = String(picks.has(id));
    c.setAttribute('aria-pressed', String(picks.has(id)));
    say(`${picks.size} seat${picks.size === 1 ? '' : 's'} picked`);
    changed();
  }

  function draw(map) {
    typeOfZone = new Map(map.ticketTypes.map((t) => [t.seatZone, t]));
    const zones = new Map(map.zones.map((z) => [z.code, z]));
    const width = Math.max(...map.sections.flatMap((s) => s.rows.map((r) => r.cells.length)), 1) * STEP + 60;
    let y = 10;
    const svg = el('svg', {
      role: 'group',
      'aria-label': `Seat map of ${map.venueName}`,
      class: 'seat-map-svg',
    });
    for (const section of [...map.sections].sort((a, b) => a.rank - b.rank)) {
      const t = el('text', { x: 10, y: y + 14, class: 'seat-map-section' }, svg);
      t.textContent = section.name;
      y += 26;
      for (const row of section.rows) {
        const label = el('text', { x: 10, y: y + 14, class: 'seat-map-row' }, svg);
        label.textContent = row.label;
        row.cells.forEach((cell, i) => {
          if (cell.kind !== 'SEAT') return;
          const zone = zones.get(cell.zone);
          const type = typeOfZone.get(cell.zone);
          const c = el(
            'circle',
            {
              cx: 50 + i * STEP,
              cy: y + 10,
              r: 8,
              fill: zone ? zone.color : '#888',
              tabindex: pickable && type ? 0 : -1,
              role: pickable && type ? 'button' : 'img',
              'aria-pressed': 'false',
              class: 'seat',
            },
            svg,
          );
          c.dataset.seatId = cell.seatId;
          c.dataset.zone = cell.zone;
          c.dataset.label = `${section.name} row ${row.label} seat ${cell.label}${cell.accessible ? ' (accessible)' : ''}${cell.restrictedView ? ' (restricted view)' : ''}`;
          if (type) c.dataset.ticketTypeId = type.id;
          if (cell.accessible) c.dataset.accessible = 'true';
          if (cell.restrictedView) c.dataset.restricted = 'true';
          const title = el('title', {}, c);
          title.textContent = `${c.dataset.label}${type ? ` · ${type.name}` : ''}`;
          seatEls.set(cell.seatId, c);
          c.addEventListener('click', () => toggle(c));
          c.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              toggle(c);
            }
          });
        });
        y += STEP;
      }
      y += 12;
    }
    svg.setAttribute('viewBox', `0 0 ${width} ${y}`);
    svg.dataset.width = String(width);
    box.replaceChildren(svg);
    for (const s of map.seats) setState(s.id, s.status);
    legend.replaceChildren(
      ...map.zones.map((z) => {
        const li = document.createElement('li');
        const type = typeOfZone.get(z.code);
        li.innerHTML = '<span class="swatch"></span> ';
        li.firstChild.style.background = z.color;
        li.append(
          `${z.name}${type ? ` · ${window.formatMoney ? window.formatMoney(type.priceMinor, type.currency, Number(root.dataset.currencyDigits || 2)) : type.priceMinor}` : ''}`,
        );
        return li;
      }),
      ...[
        ['held', 'Held'],
        ['sold', 'Sold'],
        ['picked', 'Your pick'],
      ].map(([k, text]) => {
        const li = document.createElement('li');
        li.innerHTML = `<span class="swatch swatch-${k}"></span> ${text}`;
        return li;
      }),
    );
    applyZoom();
  }

  function applyZoom() {
    const svg = box.querySelector('svg');
    if (svg) svg.style.width = `${Number(svg.dataset.width) * zoom}px`;
  }
  root.querySelectorAll('[data-zoom]').forEach((b) =>
    b.addEventListener('click', () => {
      zoom = Math.min(3, Math.max(0.4, zoom * (b.dataset.zoom === 'in' ? 1.25 : 0.8)));
      applyZoom();
    }),
  );

  function listen() {
    const socket =
      window.liveSocket || (typeof io === 'function' ? io({ transports: ['websocket', 'polling'] }) : null);
    if (!socket) return;
    // Joining again makes the server send the current states now: nothing between the map's
    // read and this listener is missed.
    if (socket.connected) socket.emit('campaign:join', campaignId);
    socket.on('connect', () => socket.emit('campaign:join', campaignId));
    socket.on('seat:states', (m) => {
      if (m.campaignId !== campaignId) return;
      const held = new Set(m.held);
      const sold = new Set(m.sold);
      for (const id of seatEls.keys())
        setState(id, sold.has(id) ? 'SOLD' : held.has(id) ? 'HELD' : 'AVAILABLE');
      root.dataset.live = 'true';
    });
  }

  window
    .api('GET', `/api/v1/campaigns/${campaignId}/seats`)
    .then((map) => {
      draw(map);
      root.dataset.ready = 'true';
      listen();
    })
    .catch((err) => {
      // A campaign without a layout (general admission only) has no map: the section goes.
      if (err && (err.code === 'CAMPAIGN_NOT_SEATED' || err.status === 422)) root.hidden = true;
      else say(window.describeError ? window.describeError(err) : 'The seat map could not be loaded');
    });
})();
