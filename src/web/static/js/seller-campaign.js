/* global api, describeError, zonedToUtcIso */
// Seller campaign editor: create/update the campaign (times typed in the campaign's zone),
// ticket types (prices typed in major units; the server parses them exactly), confirmed
// publish and cancel, and the sales charts.
(function () {
  const status = document.getElementById('form-status');
  const say = (msg, isError) => {
    status.textContent = msg;
    status.className = isError ? 'flash flash-error' : 'flash flash-success';
  };
  const plurals = new Intl.PluralRules('en');
  const plural = (n, word) => `${n.toLocaleString('en')} ${plurals.select(n) === 'one' ? word : `${word}s`}`;
  const form = document.getElementById('campaign-form');
  const id = form.dataset.campaignId;
  const zoneSelect = document.getElementById('f-timezone');
  zoneSelect.addEventListener('change', () => {
    document.querySelectorAll('[data-zone-name]').forEach((el) => (el.textContent = zoneSelect.value));
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const zone = String(f.get('timezone'));
    const at = (name) => zonedToUtcIso(String(f.get(name) || ''), zone);
    const body = {
      title: f.get('title'),
      description: f.get('description') || '',
      venueName: f.get('venueName'),
      venueAddress: f.get('venueAddress'),
      city: f.get('city'),
      country: String(f.get('country') || '').toUpperCase(),
      startsAt: at('startsAt'),
      endsAt: at('endsAt'),
      timezone: zone,
      saleStartsAt: at('saleStartsAt'),
      saleEndsAt: at('saleEndsAt'),
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
      body.currency = f.get('currency');
    }
    if (!id && f.get('venueId')) body.venueId = f.get('venueId');
    if (!body.startsAt || !body.endsAt) return say('Give the start and the end of the campaign.', true);
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

  document.querySelectorAll('[data-open]').forEach((btn) =>
    btn.addEventListener('click', () => {
      const dialog = document.getElementById(btn.dataset.open);
      dialog.showModal();
      if (dialog.id === 'cancel-dialog') countBookings();
    }),
  );
  document
    .querySelectorAll('dialog [data-close]')
    .forEach((btn) => btn.addEventListener('click', () => btn.closest('dialog').close()));

  async function countBookings() {
    const impact = document.getElementById('cancel-impact');
    try {
      const a = await api('GET', `/api/v1/campaigns/${id}/analytics`);
      impact.textContent = a.bookingsConfirmed
        ? `${plural(a.bookingsConfirmed, 'paid booking')} (${plural(a.ticketsSold, 'ticket')}) will be refunded in full.`
        : 'No paid bookings yet: nobody needs a refund.';
    } catch {
      impact.textContent = 'Every paid booking will be refunded in full.';
    }
  }

  document.querySelectorAll('[data-action]').forEach((btn) =>
    btn.addEventListener('click', async () => {
      const action = btn.dataset.action;
      const dialog = btn.closest('dialog');
      const error = dialog && dialog.querySelector('[role="alert"]');
      let body;
      if (action === 'cancel') {
        const reason = document.getElementById('cancel-reason').value.trim();
        if (reason.length < 3) {
          error.textContent = 'Say why in a few words: buyers read it in their refund email.';
          return;
        }
        body = { reason };
      }
      btn.disabled = true;
      try {
        await api('POST', `/api/v1/campaigns/${id}/${action}`, body);
        window.location.reload();
      } catch (err) {
        btn.disabled = false;
        if (error) error.textContent = describeError(err);
        else say(describeError(err), true);
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
  const ttZone = document.getElementById('tt-zone');
  if (ttZone) {
    // A seated type sells every seat of its zone: the capacity is their number, not typed.
    const capacity = document.getElementById('tt-capacity');
    ttZone.addEventListener('change', () => {
      const picked = ttZone.selectedOptions[0];
      capacity.readOnly = Boolean(ttZone.value);
      if (ttZone.value) capacity.value = picked.dataset.seats;
    });
  }
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
          price: String(f.get('price') || ''),
          capacity: Number(f.get('capacity')),
          ...(f.get('seatZone') ? { seatZone: f.get('seatZone') } : {}),
          maxPerOrder: Number(f.get('maxPerOrder') || 10),
          entriesPerTicket: Number(f.get('entriesPerTicket') || 1),
          lowStockThreshold: f.get('lowStockThreshold') ? Number(f.get('lowStockThreshold')) : null,
          attributes: benefits.length ? { benefits } : {},
        });
        window.location.reload();
      } catch (err) {
        say(describeError(err), true);
      }
    });
  }

  // The seller's "few left at" number; empty: the default rule (null).
  const lowStockOf = (row) => {
    const v = row.querySelector('[name="lowStockThreshold"]')?.value ?? '';
    return v === '' ? null : Number(v);
  };
  document.querySelectorAll('tr[data-ticket-type-id]').forEach((row) => {
    const typeId = row.dataset.ticketTypeId;
    row.querySelector('[data-tt-save]')?.addEventListener('click', async () => {
      try {
        await api('PATCH', `/api/v1/campaigns/${id}/ticket-types/${typeId}`, {
          price: row.querySelector('[name="price"]').value,
          // A seated type's capacity is its seats: not an input, not sent.
          ...(row.querySelector('[name="capacity"]')
            ? { capacity: Number(row.querySelector('[name="capacity"]').value) }
            : {}),
          hidden: row.querySelector('[name="hidden"]').checked,
          lowStockThreshold: lowStockOf(row),
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

  /**
   * A bar chart with a value axis (0, half, max), a value over each bar, the day under it and
   * a caption; days: [{ day: 'YYYY-MM-DD', value, title }].
   */
  function drawBars(svg, days, unit, color) {
    const ns = 'http://www.w3.org/2000/svg';
    const el = (name, attrs, text) => {
      const node = document.createElementNS(ns, name);
      Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    svg.replaceChildren();
    const left = 34;
    const top = 14;
    const plotH = 100;
    // At least a week's width, so one day's bar is not drawn across the whole card.
    const step = 40;
    const width = left + Math.max(7, days.length) * step + 8;
    svg.setAttribute('viewBox', `0 0 ${width} ${top + plotH + 34}`);
    const max = Math.max(1, ...days.map((d) => d.value));
    const y = (v) => top + plotH - (v / max) * plotH;
    for (const tick of [...new Set([0, Math.round(max / 2), max])]) {
      el('line', { x1: left, x2: width - 4, y1: y(tick), y2: y(tick), stroke: '#ddd' });
      el('text', { x: left - 4, y: y(tick) + 3, 'font-size': 9, 'text-anchor': 'end' }, String(tick));
    }
    el('line', { x1: left, x2: left, y1: top, y2: top + plotH, stroke: '#888' });
    el('line', { x1: left, x2: width - 4, y1: top + plotH, y2: top + plotH, stroke: '#888' });
    if (!days.length)
      el('text', { x: left + 8, y: top + plotH / 2, 'font-size': 10, fill: '#666' }, 'Nothing yet');
    days.forEach((d, i) => {
      const x = left + i * step + 8;
      const bar = el('rect', { x, y: y(d.value), width: 24, height: top + plotH - y(d.value), fill: color });
      const title = document.createElementNS(ns, 'title');
      title.textContent = d.title;
      bar.appendChild(title);
      if (d.value)
        el(
          'text',
          { x: x + 12, y: y(d.value) - 3, 'font-size': 9, 'text-anchor': 'middle' },
          String(d.value),
        );
      const [, month, dayOfMonth] = d.day.split('-');
      el(
        'text',
        { x: x + 12, y: top + plotH + 12, 'font-size': 9, 'text-anchor': 'middle' },
        `${Number(dayOfMonth)}/${Number(month)}`,
      );
    });
    el(
      'text',
      { x: left, y: top + plotH + 28, 'font-size': 9, fill: '#555' },
      `${unit} per day (day/month, ${svg.dataset.zone || 'UTC'})`,
    );
  }

  const viewsChart = document.getElementById('views-chart');
  if (viewsChart) {
    const days = JSON.parse(viewsChart.dataset.days || '[]');
    drawBars(
      viewsChart,
      days.map((d) => ({ day: d.day, value: d.views, title: `${d.day}: ${plural(d.views, 'visitor')}` })),
      'Visitors',
      '#0b5cad',
    );
  }

  const analytics = document.getElementById('analytics');
  if (analytics) {
    const currency = analytics.dataset.currency;
    const digits = Number(analytics.dataset.currencyDigits);
    const money = (minor) => window.formatMoney(minor, currency, digits);
    api('GET', `/api/v1/campaigns/${id}/analytics`)
      .then((a) => {
        const conv = a.conversion === null ? '—' : `${(a.conversion * 100).toFixed(1)}%`;
        document.getElementById('analytics-summary').textContent =
          `${plural(a.ticketsSold, 'ticket')} sold in ${plural(a.bookingsConfirmed, 'booking')}, ${money(a.revenueMinor)} revenue, ` +
          `${plural(a.views, 'visitor')}, conversion ${conv}, ${plural(a.checkIns, 'check-in')}.`;
        const body = document.getElementById('analytics-types');
        for (const t of a.byTicketType) {
          const tr = document.createElement('tr');
          [
            ['Ticket type', t.name],
            ['Tickets sold', String(t.tickets)],
            ['Revenue', money(t.revenueMinor)],
          ].forEach(([label, v]) => {
            const td = document.createElement('td');
            td.dataset.label = label;
            td.textContent = v;
            tr.appendChild(td);
          });
          body.appendChild(tr);
        }
        drawBars(
          document.getElementById('analytics-chart'),
          a.byDay.map((d) => ({
            day: d.day,
            value: d.tickets,
            title: `${d.day}: ${plural(d.tickets, 'ticket')}, ${money(d.revenueMinor)}`,
          })),
          'Tickets sold',
          '#1d6b35',
        );
      })
      .catch((err) => {
        document.getElementById('analytics-summary').textContent = describeError(err);
      });
  }
})();
