/* global api, describeError */
// Seller campaign editor: create/update the campaign, manage ticket types, run transitions.
(function () {
  const status = document.getElementById('form-status');
  const say = (msg, isError) => {
    status.textContent = msg;
    status.className = isError ? 'flash flash-error' : 'flash flash-success';
  };
  const form = document.getElementById('campaign-form');
  const id = form.dataset.campaignId;
  const utc = (v) => (v ? new Date(`${v}:00Z`).toISOString() : null);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = {
      title: f.get('title'),
      description: f.get('description') || '',
      venueName: f.get('venueName'),
      venueAddress: f.get('venueAddress'),
      city: f.get('city'),
      country: String(f.get('country') || '').toUpperCase(),
      startsAt: utc(f.get('startsAt')),
      endsAt: utc(f.get('endsAt')),
      timezone: f.get('timezone'),
      saleStartsAt: utc(f.get('saleStartsAt')),
      saleEndsAt: utc(f.get('saleEndsAt')),
      tags: String(f.get('tags') || '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      maxTicketsPerCustomer: Number(f.get('maxTicketsPerCustomer') || 10),
      refundPolicy: f.get('refundPolicy') || '',
      refundDeadlineHours: f.get('refundDeadlineHours') === '' ? null : Number(f.get('refundDeadlineHours')),
    };
    if (form.dataset.status === 'DRAFT') {
      body.kind = f.get('kind');
      body.currency = String(f.get('currency') || '').toUpperCase();
    }
    try {
      const saved = id
        ? await api('PATCH', `/api/v1/campaigns/${id}`, body)
        : await api('POST', '/api/v1/campaigns', body);
      if (!id) window.location.assign(`/seller/campaigns/${saved.id}`);
      else say('Saved.');
    } catch (err) {
      say(describeError(err), true);
    }
  });

  document.querySelectorAll('[data-action]').forEach((btn) =>
    btn.addEventListener('click', async () => {
      const action = btn.dataset.action;
      const body =
        action === 'cancel' ? { reason: document.getElementById('cancel-reason').value } : undefined;
      try {
        await api('POST', `/api/v1/campaigns/${id}/${action}`, body);
        window.location.reload();
      } catch (err) {
        say(describeError(err), true);
      }
    }),
  );

  const cover = document.getElementById('cover-file');
  if (cover) {
    cover.addEventListener('change', async () => {
      const file = cover.files && cover.files[0];
      if (!file) return;
      const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') || '';
      const res = await fetch(`/api/v1/campaigns/${id}/cover`, {
        method: 'PUT',
        credentials: 'same-origin',
        headers: {
          'Content-Type': file.type || 'application/octet-stream',
          'X-CSRF-Token': token,
          Accept: 'application/json',
        },
        body: file,
      });
      if (res.ok) window.location.reload();
      else say(((await res.json().catch(() => null)) || {}).error?.message || 'Upload failed', true);
    });
  }

  const ttForm = document.getElementById('ticket-type-form');
  if (ttForm) {
    ttForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(ttForm);
      const benefits = String(f.get('benefits') || '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      try {
        await api('POST', `/api/v1/campaigns/${id}/ticket-types`, {
          name: f.get('name'),
          description: f.get('description') || '',
          priceMinor: Number(f.get('priceMinor')),
          capacity: Number(f.get('capacity')),
          maxPerOrder: Number(f.get('maxPerOrder') || 10),
          entriesPerTicket: Number(f.get('entriesPerTicket') || 1),
          attributes: benefits.length ? { benefits } : {},
        });
        window.location.reload();
      } catch (err) {
        say(describeError(err), true);
      }
    });
  }

  document.querySelectorAll('tr[data-ticket-type-id]').forEach((row) => {
    const typeId = row.dataset.ticketTypeId;
    row.querySelector('[data-tt-save]')?.addEventListener('click', async () => {
      try {
        await api('PATCH', `/api/v1/campaigns/${id}/ticket-types/${typeId}`, {
          priceMinor: Number(row.querySelector('[name="priceMinor"]').value),
          capacity: Number(row.querySelector('[name="capacity"]').value),
          hidden: row.querySelector('[name="hidden"]').checked,
        });
        say('Ticket type saved.');
      } catch (err) {
        say(describeError(err), true);
      }
    });
    row.querySelector('[data-tt-delete]')?.addEventListener('click', async () => {
      try {
        await api('DELETE', `/api/v1/campaigns/${id}/ticket-types/${typeId}`);
        row.remove();
      } catch (err) {
        say(describeError(err), true);
      }
    });
  });

  const analytics = document.getElementById('analytics');
  if (analytics) {
    const currency = analytics.dataset.currency;
    const digits = Number(analytics.dataset.currencyDigits);
    const money = (minor) => window.formatMoney(minor, currency, digits);
    api('GET', `/api/v1/campaigns/${id}/analytics`)
      .then((a) => {
        const conv = a.conversion === null ? '—' : `${(a.conversion * 100).toFixed(1)}%`;
        document.getElementById('analytics-summary').textContent =
          `${a.ticketsSold} tickets sold in ${a.bookingsConfirmed} bookings, ${money(a.revenueMinor)} revenue, ` +
          `${a.views} visitors, conversion ${conv}, ${a.checkIns} check-ins.`;
        const body = document.getElementById('analytics-types');
        for (const t of a.byTicketType) {
          const tr = document.createElement('tr');
          for (const v of [t.name, String(t.tickets), money(t.revenueMinor)]) {
            const td = document.createElement('td');
            td.textContent = v;
            tr.appendChild(td);
          }
          body.appendChild(tr);
        }
        const svg = document.getElementById('analytics-chart');
        const days = a.byDay;
        const max = Math.max(1, ...days.map((d) => d.tickets));
        svg.setAttribute('viewBox', `0 0 ${Math.max(1, days.length) * 40} 120`);
        const ns = 'http://www.w3.org/2000/svg';
        days.forEach((d, i) => {
          const h = Math.round((d.tickets / max) * 100);
          const rect = document.createElementNS(ns, 'rect');
          Object.entries({ x: i * 40 + 8, y: 105 - h, width: 24, height: h, fill: '#1d6b35' }).forEach(
            ([k, v]) => rect.setAttribute(k, String(v)),
          );
          const title = document.createElementNS(ns, 'title');
          title.textContent = `${d.day}: ${d.tickets} tickets, ${money(d.revenueMinor)}`;
          rect.appendChild(title);
          svg.appendChild(rect);
          const label = document.createElementNS(ns, 'text');
          Object.entries({ x: i * 40 + 20, y: 118, 'font-size': 8, 'text-anchor': 'middle' }).forEach(
            ([k, v]) => label.setAttribute(k, String(v)),
          );
          label.textContent = d.day.slice(5);
          svg.appendChild(label);
        });
      })
      .catch((err) => {
        document.getElementById('analytics-summary').textContent = describeError(err);
      });
  }
})();
