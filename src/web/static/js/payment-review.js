// The admins' payments review page: "Refund the payer" on a flagged payment, "Try again" on a
// failed refund. Each calls the review API; the row then leaves the queue.
(function () {
  const error = document.querySelector('[data-review-error]');
  const message = document.querySelector('[data-review-message]');
  if (!error || !message) return;
  function act(button, confirmText, url, done) {
    button.addEventListener('click', async () => {
      if (!window.confirm(confirmText)) return;
      button.disabled = true;
      error.hidden = true;
      try {
        await window.api('POST', url);
        button.closest('tr').remove();
        message.textContent = done;
        message.hidden = false;
      } catch (err) {
        error.textContent = window.describeError(err);
        error.hidden = false;
        button.disabled = false;
      }
    });
  }
  document
    .querySelectorAll('[data-refund-payment]')
    .forEach((b) =>
      act(
        b,
        'Send this charge back to the payer? Their booking is not confirmed by it.',
        `/api/v1/admin/payments/${b.dataset.refundPayment}/refund`,
        'Refund requested: the money goes back to the payer, who is emailed when it is done.',
      ),
    );
  document
    .querySelectorAll('[data-retry-refund]')
    .forEach((b) =>
      act(
        b,
        'Ask Flutterwave for this refund again?',
        `/api/v1/admin/payments/refunds/${b.dataset.retryRefund}/retry`,
        'Refund requested again: the buyer is emailed when the money is back.',
      ),
    );
})();
