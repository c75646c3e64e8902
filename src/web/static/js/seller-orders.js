/* global api, describeError */
// Seller orders: resend a booking's tickets, refund one booking after confirming.
(function () {
  const table = document.querySelector('table.orders');
  if (!table) return;
  const campaignId = table.dataset.campaignId;
  const status = document.getElementById('orders-status-message');
  const say = (msg, isError) => {
    status.textContent = msg;
    status.className = isError ? 'flash flash-error' : 'flash flash-success';
  };
  const dialog = document.getElementById('refund-dialog');
  let pending = null;
  dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
  dialog.querySelector('[data-confirm-refund]').addEventListener('click', async (e) => {
    const row = pending;
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      await api('POST', `/api/v1/campaigns/${campaignId}/orders/${row.dataset.bookingId}/refund`);
      dialog.close();
      row.querySelector('[data-order-status]').textContent = 'Refund in progress';
      row.querySelectorAll('[data-refund],[data-resend]').forEach((b) => b.remove());
      say(`Refund of booking ${row.dataset.reference} requested: the buyer is emailed when it completes.`);
    } catch (err) {
      document.getElementById('refund-error').textContent = describeError(err);
    } finally {
      btn.disabled = false;
    }
  });
  table.querySelectorAll('tr[data-booking-id]').forEach((row) => {
    row.querySelector('[data-refund]')?.addEventListener('click', (e) => {
      pending = row;
      const b = e.currentTarget;
      document.getElementById('refund-summary').textContent =
        `${b.dataset.amount} to ${b.dataset.buyer} for booking ${row.dataset.reference}.`;
      document.getElementById('refund-error').textContent = '';
      dialog.showModal();
    });
    row.querySelector('[data-resend]')?.addEventListener('click', async (e) => {
      const b = e.currentTarget;
      b.disabled = true;
      try {
        await api('POST', `/api/v1/campaigns/${campaignId}/orders/${row.dataset.bookingId}/resend-tickets`);
        say(`Tickets of booking ${row.dataset.reference} are on their way to the buyer.`);
      } catch (err) {
        say(describeError(err), true);
      } finally {
        b.disabled = false;
      }
    });
  });
})();
