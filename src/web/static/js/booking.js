// A booking's page: the hold countdown (against the server's clock) and Cancel.
(function () {
  const root = document.querySelector('[data-booking-id]');
  if (!root) return;
  const id = root.dataset.bookingId;
  const timer = root.querySelector('[data-countdown]');
  if (timer && root.dataset.status === 'PENDING') {
    const expiresAt = Date.parse(root.dataset.expiresAt);
    // Offset between the server's clock and this device's, so a wrong device clock does not matter.
    const skew = Date.parse(root.dataset.serverNow) - Date.now();
    const tick = () => {
      const left = Math.max(0, expiresAt - (Date.now() + skew));
      const m = Math.floor(left / 60000);
      const s = Math.floor((left % 60000) / 1000);
      timer.textContent = `${m}:${String(s).padStart(2, '0')}`;
      if (left <= 0) {
        clearInterval(handle);
        root.querySelector('[data-hold-message]').textContent = 'Your hold has lapsed: these tickets are going back on sale.';
        root.querySelectorAll('[data-while-held]').forEach((el) => { el.disabled = true; });
      }
    };
    const handle = setInterval(tick, 1000);
    tick();
  }
  const cancel = root.querySelector('[data-cancel]');
  if (cancel) {
    cancel.addEventListener('click', async () => {
      if (!window.confirm('Cancel this booking and release the tickets?')) return;
      cancel.disabled = true;
      try {
        await window.api('POST', `/api/v1/bookings/${id}/cancel`);
        window.location.reload();
      } catch (err) {
        root.querySelector('[data-booking-error]').textContent = window.describeError(err);
        root.querySelector('[data-booking-error]').hidden = false;
        cancel.disabled = false;
      }
    });
  }
})();
