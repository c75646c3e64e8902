/* global io */
// Live availability: join the campaign's room and apply absolute counters as they arrive.
(function () {
  const root = document.querySelector('[data-campaign-id]');
  if (!root || typeof io !== 'function') return;
  const campaignId = root.getAttribute('data-campaign-id');
  const socket = io({ transports: ['websocket', 'polling'] });
  const join = () => socket.emit('campaign:join', campaignId);
  socket.on('connect', join);
  socket.on('booking:counter', (c) => {
    if (c.campaignId !== campaignId) return;
    document.querySelectorAll(`[data-ticket-type-id="${c.ticketTypeId}"]`).forEach((row) => {
      for (const key of ['available', 'sold', 'reserved', 'capacity']) {
        row.querySelectorAll(`[data-counter="${key}"]`).forEach((el) => {
          el.textContent = String(c[key]);
        });
      }
      // A sold-out type says so in words (public page); the number comes back if stock returns.
      row.querySelectorAll('[data-sold-out]').forEach((el) => {
        el.hidden = c.available > 0;
        const n = el.previousElementSibling;
        if (n && n.dataset.counter === 'available') n.hidden = c.available <= 0;
      });
      // "Few left" at the type's low-stock threshold or below (campaigns.low-stock.ts), not when sold out.
      const threshold = Number(row.dataset.lowStockThreshold || 0);
      row.querySelectorAll('[data-few-left]').forEach((el) => {
        el.hidden = !(threshold > 0 && c.available > 0 && c.available <= threshold);
      });
      row.dataset.available = String(c.available);
      row.dispatchEvent(new CustomEvent('counter', { bubbles: true, detail: c }));
    });
  });
  // The live channel's low-stock event (once per crossing): the seller's threshold may be new.
  socket.on('stock:low', (e) => {
    if (!e || e.campaignId !== campaignId) return;
    document.querySelectorAll(`[data-ticket-type-id="${e.ticketTypeId}"]`).forEach((row) => {
      row.dataset.lowStockThreshold = String(e.threshold);
      row.querySelectorAll('[data-few-left]').forEach((el) => {
        el.hidden = !(e.available > 0);
      });
    });
  });
  window.liveSocket = socket;
})();
