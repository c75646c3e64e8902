// Checkout on a campaign page: quantities per ticket type, a running total, and Reserve, which
// posts to POST /api/v1/bookings with an Idempotency-Key. The key is kept while the order is
// unchanged, so a retry after a network error cannot book twice; changing the order makes a new one.
(function () {
  const form = document.getElementById('checkout');
  if (!form || typeof window.api !== 'function') return;
  const currency = form.dataset.currency;
  const digits = Number(form.dataset.currencyDigits);
  const totalEl = form.querySelector('[data-checkout-total]');
  const errorEl = form.querySelector('[data-checkout-error]');
  const button = form.querySelector('[data-reserve]');
  const inputs = Array.from(document.querySelectorAll('input[data-quantity-for]'));
  let key = null;
  let keyFor = '';

  const newKey = () =>
    window.crypto && typeof window.crypto.randomUUID === 'function'
      ? window.crypto.randomUUID()
      : Array.from(window.crypto.getRandomValues(new Uint8Array(16)), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');

  function order() {
    const items = [];
    let totalMinor = 0;
    // Seats picked on the seat map (seat-map.js) are bought by name; a count typed for a seated
    // type without picks asks for the best available seats together.
    const picked = new Map();
    for (const [seatId, typeId] of window.seatPicks || [])
      picked.set(typeId, [...(picked.get(typeId) || []), seatId]);
    for (const input of inputs) {
      const row = input.closest('[data-ticket-type-id]');
      const typeId = input.dataset.quantityFor;
      const seats = picked.get(typeId);
      const q = seats ? seats.length : Math.max(0, Math.floor(Number(input.value) || 0));
      if (!q) continue;
      if (seats) items.push({ ticketTypeId: typeId, seatIds: seats });
      else if (row.dataset.seated === 'true')
        items.push({ ticketTypeId: typeId, quantity: q, together: true });
      else items.push({ ticketTypeId: typeId, quantity: q });
      totalMinor += q * Number(row.dataset.priceMinor);
    }
    const issuance = (form.querySelector('input[name="issuance"]:checked') || {}).value || 'SINGLE';
    const body = { campaignId: form.dataset.campaignId, items, issuance };
    if (form.dataset.accessCode) body.accessCode = form.dataset.accessCode;
    const promo = form.querySelector('[data-promo-code]');
    if (promo && promo.value.trim()) body.promoCode = promo.value.trim();
    return {
      body,
      totalMinor,
      count: items.reduce((n, i) => n + (i.seatIds ? i.seatIds.length : i.quantity), 0),
    };
  }

  function showError(message) {
    errorEl.textContent = message || '';
    errorEl.hidden = !message;
  }

  function refresh() {
    const { totalMinor, count } = order();
    totalEl.textContent = window.formatMoney(totalMinor, currency, digits);
    button.disabled = count === 0;
    button.textContent =
      form.dataset.signedIn === 'true'
        ? count
          ? `Reserve ${count} ticket${count === 1 ? '' : 's'}`
          : 'Reserve'
        : 'Sign in to reserve';
  }

  for (const input of inputs)
    input.addEventListener('input', () => {
      showError('');
      refresh();
    });
  form.addEventListener('change', refresh);
  document.addEventListener('seat-picks', () => {
    showError('');
    refresh();
  });
  // Live counters: cap each quantity input at what is left.
  document.addEventListener('counter', (e) => {
    const c = e.detail;
    const input = inputs.find((i) => i.dataset.quantityFor === c.ticketTypeId);
    if (!input) return;
    const row = input.closest('[data-ticket-type-id]');
    input.max = String(Math.min(Number(row.dataset.max), Math.max(0, c.available)));
    input.disabled = c.available <= 0;
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.dataset.signedIn !== 'true') {
      window.location.href = form.dataset.signInUrl;
      return;
    }
    const { body, count } = order();
    if (!count) return;
    const fingerprint = JSON.stringify(body);
    if (!key || keyFor !== fingerprint) {
      key = newKey();
      keyFor = fingerprint;
    }
    button.disabled = true;
    showError('');
    try {
      const booking = await window.api('POST', '/api/v1/bookings', body, { 'Idempotency-Key': key });
      window.location.href = `/bookings/${booking.id}`;
    } catch (err) {
      // A refusal is final for this key: the next attempt (even with the same order) gets a new one.
      if (err.status && err.status < 500) key = null;
      showError(window.describeError(err));
      button.disabled = false;
    }
  });
  refresh();
})();
