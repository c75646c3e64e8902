/* global io */
// The bell, live: the server put this browser's socket in its user's room at connection (from the
// session cookie); `notification:new` carries the notification and the ABSOLUTE unread count.
// Without scripts the bell is a plain link to /notifications with the count rendered by the server.
(function () {
  const bell = document.querySelector('[data-bell]');
  if (!bell) return;
  const count = bell.querySelector('[data-unread-count]');
  const list = document.querySelector('[data-notification-list]');
  const onList = Boolean(list);

  function show(n) {
    if (typeof n !== 'number' || n < 0) return;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    bell.setAttribute('aria-label', n ? `Notifications, ${n} unread` : 'Notifications');
    bell.dataset.unread = String(n);
  }

  // Times in the viewer's own zone, named (the server renders UTC, the one zone it can know).
  // (dateStyle/timeStyle cannot be combined with timeZoneName.)
  const localTime = new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  function timeOf(iso) {
    const t = document.createElement('time');
    t.className = 'muted';
    t.dateTime = iso;
    const d = new Date(iso);
    t.textContent = Number.isNaN(d.getTime()) ? '' : localTime.format(d);
    return t;
  }
  if (list)
    for (const t of list.querySelectorAll('time[datetime]'))
      t.replaceWith(timeOf(t.getAttribute('datetime')));

  function prepend(n) {
    if (!list || list.querySelector(`[data-notification-id="${n.id}"]`)) return;
    const li = document.createElement('li');
    li.dataset.notificationId = n.id;
    li.className = 'new';
    const a = document.createElement('a');
    a.href = n.url;
    const title = document.createElement('strong');
    title.textContent = n.title;
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'New';
    const body = document.createElement('p');
    body.textContent = n.body;
    a.append(title, ' ', badge, body);
    if (n.createdAt) a.append(timeOf(n.createdAt));
    li.append(a);
    list.prepend(li);
    const empty = document.querySelector('[data-notifications-empty]');
    if (empty) empty.hidden = true;
  }

  function markSeen(id) {
    const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
    return fetch(`/api/v1/notifications/${encodeURIComponent(id)}/read`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': token },
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((r) => r && show(r.unreadCount))
      .catch(() => undefined);
  }

  function start() {
    const socket = window.liveSocket || io({ transports: ['websocket', 'polling'] });
    window.liveSocket = socket;
    // A reconnect may have missed pushes: ask for the count again.
    const sync = () => socket.emit('notifications:join', (r) => r && r.ok && show(r.unreadCount));
    socket.on('connect', sync);
    if (socket.connected) sync();
    socket.on('notification:new', (msg) => {
      if (!msg || !msg.notification) return;
      // On the notifications page a new one is shown at once, and so is read.
      if (onList) {
        prepend(msg.notification);
        markSeen(msg.notification.id);
      } else show(msg.unreadCount);
    });
  }

  if (typeof io === 'function') return start();
  const script = document.createElement('script');
  script.src = '/socket.io/socket.io.js';
  script.onload = start;
  document.head.append(script);
})();
