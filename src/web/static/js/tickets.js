// "My tickets": the "Email them to me again" buttons.
(function () {
  const message = document.querySelector('[data-tickets-message]');
  const show = (text, ok) => {
    message.textContent = text;
    message.className = ok ? 'flash flash-success' : 'flash flash-error';
    message.hidden = false;
  };
  document.querySelectorAll('[data-resend]').forEach((button) => {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await window.api('POST', `/api/v1/bookings/${button.dataset.resend}/resend-tickets`);
        show('On its way: check your inbox in a minute.', true);
      } catch (err) {
        show(window.describeError(err), false);
        button.disabled = false;
      }
    });
  });
})();
