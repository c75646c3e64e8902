/* global io, api, describeError */
// The seller's gates page: add gates and devices, show a device's setup link, rename / move /
// revoke devices, and keep the gate counts and conflicts live over Socket.io (room gate:<id>).
(function () {
  const live = document.getElementById('gate-live');
  if (!live) return;
  const campaignId = live.getAttribute('data-campaign-id');
  const timeZone = live.getAttribute('data-timezone') || 'UTC';
  const status = document.getElementById('device-status');
  const say = (msg) => {
    status.textContent = msg;
  };
  const when = (iso) =>
    iso
      ? new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
          new Date(iso),
        )
      : 'never';
  const cell = (text) => {
    const td = document.createElement('td');
    td.textContent = String(text);
    return td;
  };
  const rows = (tbody, items, empty) => {
    tbody.replaceChildren();
    for (const r of items) {
      const tr = document.createElement('tr');
      tr.append(cell(r.name), cell(r.entries), cell(r.exits), cell(r.inside));
      tbody.append(tr);
    }
    if (!items.length) {
      const tr = document.createElement('tr');
      const td = cell(empty);
      td.colSpan = 4;
      td.className = 'muted';
      tr.append(td);
      tbody.append(tr);
    }
  };

  document.getElementById('gate-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = document.getElementById('gate-name');
    try {
      await api('POST', `/api/v1/validation/campaigns/${campaignId}/gates`, { name: input.value });
      location.reload();
    } catch (err) {
      say(describeError(err));
    }
  });

  const enrolment = document.getElementById('enrolment');
  function showEnrolment(res) {
    enrolment.hidden = false;
    enrolment.querySelector('[data-enrol="name"]').textContent = res.device.name;
    enrolment.querySelector('[data-enrol="expires"]').textContent = when(res.enrolment.expiresAt);
    enrolment.querySelector('[data-enrol="qr"]').src = res.enrolment.qrSvg;
    enrolment.querySelector('[data-enrol="url"]').value = res.enrolment.url;
    enrolment.scrollIntoView({ block: 'nearest' });
  }
  enrolment.querySelector('[data-enrol="copy"]').addEventListener('click', async () => {
    const url = enrolment.querySelector('[data-enrol="url"]');
    try {
      await navigator.clipboard.writeText(url.value);
      say('Setup link copied.');
    } catch {
      url.select();
      say('Select the link and copy it.');
    }
  });

  document.getElementById('device-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const body = { name: form.elements.name.value };
    if (form.elements.gateId.value) body.gateId = form.elements.gateId.value;
    try {
      const res = await api('POST', `/api/v1/validation/campaigns/${campaignId}/devices`, body);
      showEnrolment(res);
      say(`${res.device.name} added. Open its setup link on the phone; the list updates when you reload.`);
      form.reset();
    } catch (err) {
      say(describeError(err));
    }
  });

  document.getElementById('devices').addEventListener('click', async (e) => {
    const button = e.target.closest('[data-device-action]');
    if (!button) return;
    const li = button.closest('[data-device-id]');
    const id = li.getAttribute('data-device-id');
    const action = button.getAttribute('data-device-action');
    try {
      if (action === 'save') {
        const name = li.querySelector('[name="name"]').value;
        const gateId = li.querySelector('[name="gateId"]').value || null;
        await api('PATCH', `/api/v1/validation/devices/${id}`, { name, gateId });
        location.reload();
      } else if (action === 'link') {
        showEnrolment(await api('POST', `/api/v1/validation/devices/${id}/enrolment`));
        say('A new setup link was made; the previous one no longer works.');
      } else if (action === 'revoke') {
        if (!confirm('Revoke this device? It will stop scanning at once.')) return;
        await api('POST', `/api/v1/validation/devices/${id}/revoke`);
        location.reload();
      }
    } catch (err) {
      say(describeError(err));
    }
  });

  if (typeof io !== 'function') return;
  const state = document.getElementById('live-state');
  const socket = io({ transports: ['websocket', 'polling'] });
  const join = () =>
    socket.emit('gate:join', { campaignId, token: live.getAttribute('data-room-token') }, (ack) => {
      state.textContent = ack && ack.ok ? 'live' : 'reload for live numbers';
    });
  socket.on('connect', join);
  socket.on('disconnect', () => {
    state.textContent = 'reconnecting…';
  });
  socket.on('gate:counts', (c) => {
    if (c.campaignId !== campaignId) return;
    for (const key of ['entries', 'exits', 'inside'])
      live.querySelector(`[data-total="${key}"]`).textContent = String(c.totals[key]);
    rows(document.getElementById('counts-gates'), c.gates, 'No gates yet.');
    rows(document.getElementById('counts-types'), c.ticketTypes, 'Nobody scanned in yet.');
  });
  socket.on('gate:conflict', (c) => {
    if (c.campaignId !== campaignId) return;
    document.getElementById('no-conflicts').hidden = true;
    const li = document.createElement('li');
    const serial = c.serial === null || c.serial === undefined ? '?' : String(c.serial).padStart(6, '0');
    const strong = document.createElement('strong');
    strong.textContent = `Ticket ${serial}`;
    const where = `${c.device ? c.device.name : 'a person'}${c.gate ? ` at ${c.gate.name}` : ''}`;
    li.append(
      strong,
      ` — ${where}, ${when(c.scannedAt)}: phone said ok, server said ${(c.reason || 'refused').replace(/_/g, ' ')}`,
    );
    document.getElementById('conflicts').prepend(li);
  });
})();
