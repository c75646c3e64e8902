// A booking's page: the hold countdown (against the server's clock), Extend hold (once), Pay,
// Cancel and Refund.
(function () {
  const root = document.querySelector('[data-booking-id]');
  if (!root) return;
  const id = root.dataset.bookingId;
  const timer = root.querySelector('[data-countdown]');
  let expiresAt = Date.parse(root.dataset.expiresAt);
  if (timer && root.dataset.status === 'PENDING') {
    // Offset between the server's clock and this device's, so a wrong device clock does not matter.
    const skew = Date.parse(root.dataset.serverNow) - Date.now();
    const tick = () => {
      const left = Math.max(0, expiresAt - (Date.now() + skew));
      const m = Math.floor(left / 60000);
      const s = Math.floor((left % 60000) / 1000);
      timer.textContent = `${m}:${String(s).padStart(2, '0')}`;
      if (left <= 0) {
        clearInterval(handle);
        root.querySelector('[data-hold-message]').textContent =
          'Your hold has lapsed: these tickets are going back on sale.';
        root.querySelectorAll('[data-while-held]').forEach((el) => {
          el.disabled = true;
        });
      }
    };
    const handle = setInterval(tick, 1000);
    tick();
  }
  const showError = (err) => {
    root.querySelector('[data-booking-error]').textContent = window.describeError(err);
    root.querySelector('[data-booking-error]').hidden = false;
  };
  // Pay: the server makes (or reuses) the booking's payment and answers Flutterwave's hosted page.
  const pay = root.querySelector('[data-pay]');
  if (pay) {
    pay.addEventListener('click', async () => {
      pay.disabled = true;
      try {
        const payment = await window.api('POST', '/api/v1/payments/initialize', { bookingId: id });
        window.location.assign(payment.link);
      } catch (err) {
        showError(err);
        pay.disabled = false;
      }
    });
  }
  // Extend hold: the server moves expiresAt (once, within the maximum); the countdown follows.
  const extend = root.querySelector('[data-extend]');
  if (extend) {
    const message = root.querySelector('[data-extend-message]');
    const tell = (text, isError) => {
      message.textContent = text;
      message.className = isError ? 'flash flash-error' : 'flash flash-success';
      message.hidden = false;
    };
    extend.addEventListener('click', async () => {
      extend.disabled = true;
      try {
        const b = await window.api('POST', `/api/v1/bookings/${id}/extend`);
        expiresAt = Date.parse(b.expiresAt);
        root.dataset.expiresAt = b.expiresAt;
        // The page was rendered with the extended time in words (the same rule the server applies).
        const until = root.querySelector('[data-hold-until]');
        until.textContent = extend.dataset.until;
        extend.parentElement.remove();
        tell('Done: your hold is longer now. It cannot be extended again.');
      } catch (err) {
        extend.parentElement.remove();
        tell(window.describeError(err), true);
      }
    });
  }
  const refund = root.querySelector('[data-refund]');
  if (refund) {
    refund.addEventListener('click', async () => {
      if (!window.confirm('Cancel this booking and refund the payment? Your tickets will stop working.'))
        return;
      refund.disabled = true;
      try {
        await window.api('POST', '/api/v1/payments/refunds', { bookingId: id });
        const msg = root.querySelector('[data-refund-message]');
        msg.textContent =
          'Refund requested. Your booking will show as refunded once the money is on its way back, and we will email you.';
        msg.hidden = false;
      } catch (err) {
        showError(err);
        refund.disabled = false;
      }
    });
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
