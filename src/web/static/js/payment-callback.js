/* global io */
// The callback page: join the payment's live room (keyed by its unguessable tx_ref) and show
// each state the server pushes. Messages are absolute states, so a lost one is healed by the next.
(function () {
  const root = document.querySelector('[data-tx-ref]');
  if (!root || !root.dataset.txRef || typeof io !== 'function') return;
  const txRef = root.dataset.txRef;
  function show(state) {
    if (!root.querySelector(`[data-state-message="${state}"]`)) return;
    root.dataset.paymentState = state;
    root.querySelectorAll('[data-state-message]').forEach((el) => {
      el.hidden = el.dataset.stateMessage !== state;
    });
    const note = root.querySelector('[data-live-note]');
    if (note) note.hidden = state !== 'pending';
  }
  const socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', () => socket.emit('payment:join', txRef));
  socket.on('payment:status', (s) => {
    if (s && s.txRef === txRef) show(s.state);
  });
})();
