/* global io, seatMapDraw */
// The seat map of a seated campaign: an SVG of its sections, rows and seats, coloured by price
// zone, with every seat's state (GET /api/v1/campaigns/:id/seats) kept live from `seat:states`
// (absolute lists of HELD and SOLD seats, sent on join and after every booking change). On the
// campaign page a tap picks or drops an available seat (window.seatPicks, read by checkout.js);
// the seller's campaign editor shows the same map read-only. Drawing is seat-map-draw.js's (the
// venue editor uses it too).
(function () {
  const root = document.querySelector('[data-seat-map]');
  if (!root || typeof window.api !== 'function' || !window.seatMapDraw) return;
  const campaignId = root.dataset.campaignId;
  const pickable = root.dataset.pickable === 'true';
  const box = root.querySelector('[data-seat-map-canvas]');
  const legend = root.querySelector('[data-seat-map-legend]');
  const status = root.querySelector('[data-seat-map-status]');
  const picks = new Map(); // seatId → ticketTypeId
  const seatEls = new Map();
  let typeOfZone = new Map();
  window.seatPicks = picks;

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
    seatMapDraw.drawSeatMap(
      box,
      { title: `Seat map of ${map.venueName}`, zones: map.zones, sections: map.sections },
      {
        onSeat(c, { cell }) {
          const type = typeOfZone.get(cell.zone);
          c.setAttribute('tabindex', pickable && type ? '0' : '-1');
          c.setAttribute('role', pickable && type ? 'button' : 'img');
          c.setAttribute('aria-pressed', 'false');
          c.dataset.seatId = cell.seatId;
          c.dataset.zone = cell.zone;
          if (type) c.dataset.ticketTypeId = type.id;
          const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
          title.textContent = `${c.dataset.label}${type ? ` · ${type.name}` : ''}`;
          c.appendChild(title);
          seatEls.set(cell.seatId, c);
          c.addEventListener('click', () => toggle(c));
          c.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              toggle(c);
            }
          });
        },
      },
    );
    for (const s of map.seats) setState(s.id, s.status);
    const digits = Number(root.dataset.currencyDigits || 2);
    seatMapDraw.drawLegend(
      legend,
      map.zones,
      (z) => {
        const type = typeOfZone.get(z.code);
        if (!type) return z.name;
        const price = window.formatMoney
          ? window.formatMoney(type.priceMinor, type.currency, digits)
          : type.priceMinor;
        return `${z.name} · ${price}`;
      },
      [
        ['held', 'Held'],
        ['sold', 'Sold'],
        ['picked', 'Your pick'],
      ],
    );
  }
  seatMapDraw.wireZoom(root, box);

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
