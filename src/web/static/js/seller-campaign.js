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
      tags: String(f.get('tags') || '').split(',').map((t) => t.trim()).filter(Boolean),
      maxTicketsPerCustomer: Number(f.get('maxTicketsPerCustomer') || 10),
      refundPolicy: f.get('refundPolicy') || '',
      refundDeadlineHours: f.get('refundDeadlineHours') === '' ? null : Number(f.get('refundDeadlineHours')),
    };
    if (form.dataset.status === 'DRAFT') {
      body.kind = f.get('kind');
      body.currency = String(f.get('currency') || '').toUpperCase();
    }
    try {
      const saved = id ? await api('PATCH', `/api/v1/campaigns/${id}`, body) : await api('POST', '/api/v1/campaigns', body);
      if (!id) window.location.assign(`/seller/campaigns/${saved.id}`);
      else say('Saved.');
    } catch (err) {
      say(describeError(err), true);
    }
  });

  document.querySelectorAll('[data-action]').forEach((btn) =>
    btn.addEventListener('click', async () => {
      const action = btn.dataset.action;
      const body = action === 'cancel' ? { reason: document.getElementById('cancel-reason').value } : undefined;
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
        headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-CSRF-Token': token, Accept: 'application/json' },
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
      const benefits = String(f.get('benefits') || '').split(',').map((t) => t.trim()).filter(Boolean);
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
})();
