/* global api, describeError, seatMapDraw */
// The seller's venue pages: the new-venue form (venues list) and the layout editor. The editor
// draws the venue with the campaign page's renderer (seat-map-draw.js) and turns taps into the
// API's section edits (PATCH /api/v1/venues/:id/sections/:sectionId { edits }): each tap changes
// the drawing at once and queues its edit; "Save changes" sends the queue per section, in order,
// and redraws from what the server answered, so the page always ends showing what was stored.
(function () {
  const toCode = (name, taken) => {
    const base =
      String(name)
        .toUpperCase()
        .normalize('NFKD')
        .replace(/[^A-Z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .slice(0, 12) || 'ZONE';
    let code = base;
    for (let i = 2; taken.has(code); i++) code = `${base}_${i}`;
    taken.add(code);
    return code;
  };

  // Price zone rows: name and colour inputs; codes stay as stored for existing zones.
  function zonesOf(container) {
    const taken = new Set(
      [...container.querySelectorAll('[data-zone-input][data-code]')].map((li) => li.dataset.code),
    );
    return [...container.querySelectorAll('[data-zone-input]')]
      .map((li) => ({
        li,
        name: li.querySelector('[name="zoneName"]').value.trim(),
        color: li.querySelector('[name="zoneColor"]').value,
      }))
      .filter((z) => z.name)
      .map((z) => ({ code: z.li.dataset.code || toCode(z.name, taken), name: z.name, color: z.color }));
  }
  document.querySelectorAll('[data-add-zone]').forEach((btn) =>
    btn.addEventListener('click', () => {
      const list = btn.closest('form').querySelector('[data-zone-inputs]');
      const colours = JSON.parse(btn.dataset.colours || '[]');
      const li = document.createElement('li');
      li.dataset.zoneInput = '';
      li.innerHTML =
        '<label>Zone name <input name="zoneName" maxlength="60"></label> <label>Colour <input name="zoneColor" type="color"></label>';
      li.querySelector('[name="zoneColor"]').value =
        colours[list.children.length % colours.length] || '#888888';
      list.appendChild(li);
      li.querySelector('input').focus();
    }),
  );

  const flash = (el, msg, isError) => {
    el.textContent = msg;
    el.className = isError ? 'flash flash-error' : 'flash flash-success';
  };

  const newForm = document.getElementById('venue-form');
  if (newForm) {
    const status = document.getElementById('venue-form-status');
    newForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(newForm);
      const zones = zonesOf(newForm);
      if (!String(f.get('name') || '').trim()) return flash(status, 'Give the venue a name.', true);
      if (!zones.length) return flash(status, 'Name at least one price zone.', true);
      try {
        const body = { name: f.get('name'), city: f.get('city') || '', zones };
        if (f.get('shared')) body.shared = true;
        const v = await api('POST', '/api/v1/venues', body);
        window.location.assign(`/seller/venues/${v.id}`);
      } catch (err) {
        flash(status, describeError(err), true);
      }
    });
  }

  const root = document.querySelector('[data-venue-editor]');
  if (!root || !window.seatMapDraw) return;
  const venueId = root.dataset.venueId;
  const editable = root.dataset.editable === 'true';
  const status = document.getElementById('venue-status');
  const mapCard = root.querySelector('[data-seat-map-editor]');
  const box = mapCard.querySelector('[data-seat-map-canvas]');
  const legend = mapCard.querySelector('[data-seat-map-legend]');
  const saveBtn = mapCard.querySelector('[data-save-layout]');
  const discardBtn = mapCard.querySelector('[data-discard-layout]');
  const pendingText = mapCard.querySelector('[data-pending-count]');
  const SVG = 'http://www.w3.org/2000/svg';
  let venue = null;
  let sections = []; // the drawing: a working copy of venue.sections with the queued edits applied
  let pending = new Map(); // sectionId → edits, in tap order
  seatMapDraw.wireZoom(mapCard, box);

  const copy = (v) => JSON.parse(JSON.stringify(v.sections));
  const tool = () => {
    const t = mapCard.querySelector('[name="tool"]:checked');
    return t ? t.value : 'gap';
  };
  const toolZone = () => mapCard.querySelector('[data-tool-zone]').value;
  const count = () => [...pending.values()].reduce((n, e) => n + e.length, 0);

  function showPending() {
    if (!saveBtn) return;
    const n = count();
    saveBtn.disabled = n === 0;
    discardBtn.disabled = n === 0;
    pendingText.textContent = n ? `${n} unsaved change${n === 1 ? '' : 's'}.` : 'No unsaved changes.';
  }

  function queue(section, edit) {
    if (!pending.has(section.id)) pending.set(section.id, []);
    pending.get(section.id).push(edit);
    showPending();
    draw();
  }

  // Mirrors the server's rules (src/modules/venues/venues.layout.ts) on the working copy.
  function tapSeat(section, row, cell, index) {
    const at = { op: 'set', rows: [row.label], seats: [cell.label] };
    switch (tool()) {
      case 'gap':
        cell.kind = cell.kind === 'SEAT' ? 'GAP' : 'SEAT';
        if (cell.kind === 'SEAT' && !cell.zone) cell.zone = venue.zones[0].code;
        return queue(section, { ...at, kind: cell.kind });
      case 'aisle':
        if (row.cells[index + 1] && row.cells[index + 1].kind === 'AISLE') return;
        row.cells.splice(index + 1, 0, {
          kind: 'AISLE',
          label: '',
          zone: '',
          accessible: false,
          restrictedView: false,
        });
        return queue(section, { op: 'aisle', rows: [row.label], afterSeat: cell.label });
      case 'accessible':
        cell.accessible = !cell.accessible;
        return queue(section, { ...at, accessible: cell.accessible });
      case 'restricted':
        cell.restrictedView = !cell.restrictedView;
        return queue(section, { ...at, restrictedView: cell.restrictedView });
      case 'zone':
        if (cell.kind !== 'SEAT') return;
        cell.zone = toolZone();
        return queue(section, { ...at, zone: cell.zone });
    }
  }

  function tapRow(section, row) {
    const seats = row.cells.filter((c) => c.kind !== 'AISLE');
    const at = { op: 'set', rows: [row.label] };
    switch (tool()) {
      case 'zone': {
        const zone = toolZone();
        for (const c of seats) if (c.kind === 'SEAT') c.zone = zone;
        return queue(section, {
          ...at,
          seats: seats.filter((c) => c.kind === 'SEAT').map((c) => c.label),
          zone,
        });
      }
      case 'accessible':
      case 'restricted': {
        const key = tool() === 'accessible' ? 'accessible' : 'restrictedView';
        const on = !seats.every((c) => c[key]);
        for (const c of seats) c[key] = on;
        return queue(section, { ...at, [key]: on });
      }
    }
  }

  function tapAisle(section, row, index) {
    const before = row.cells
      .slice(0, index)
      .reverse()
      .find((c) => c.kind !== 'AISLE');
    if (!before) return;
    row.cells.splice(index, 1);
    queue(section, { op: 'removeAisle', rows: [row.label], afterSeat: before.label });
  }

  const asButton = (el, label, onTap) => {
    el.setAttribute('tabindex', '0');
    el.setAttribute('role', 'button');
    el.setAttribute('aria-label', label);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = label;
    el.appendChild(title);
    el.addEventListener('click', onTap);
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onTap();
      }
    });
  };
  const zoneName = (code) => (venue.zones.find((z) => z.code === code) || { name: code }).name;

  function draw() {
    if (!sections.length) return;
    seatMapDraw.drawSeatMap(
      box,
      { title: `Seating plan of ${venue.name}`, zones: venue.zones, sections },
      {
        showEmpty: true,
        keepOrder: true,
        onSeat(c, { section, row, cell, index }) {
          Object.assign(c.dataset, {
            section: section.name,
            row: row.label,
            seat: cell.label,
            kind: 'SEAT',
            zone: cell.zone,
          });
          const label = `${c.dataset.label}, ${zoneName(cell.zone)}`;
          if (editable) asButton(c, label, () => tapSeat(section, row, cell, index));
          else c.setAttribute('aria-label', label);
        },
        onCell(c, { section, row, cell, index }) {
          Object.assign(c.dataset, { section: section.name, row: row.label, kind: cell.kind });
          if (cell.kind === 'GAP') c.dataset.seat = cell.label;
          if (!editable) return;
          if (cell.kind === 'GAP')
            asButton(c, `${section.name} row ${row.label} gap (was seat ${cell.label})`, () =>
              tapSeat(section, row, cell, index),
            );
          else asButton(c, `${section.name} row ${row.label} aisle`, () => tapAisle(section, row, index));
        },
        onRow(t, { section, row }) {
          t.dataset.section = section.name;
          t.dataset.row = row.label;
          if (editable)
            asButton(t, `${section.name} row ${row.label}: the whole row`, () => tapRow(section, row));
        },
      },
    );
    seatMapDraw.drawLegend(legend, venue.zones, (z) => z.name, [
      ['gap', 'Gap (no seat)'],
      ['aisle', 'Aisle'],
      ['accessible', 'Accessible'],
      ['restricted', 'Restricted view'],
    ]);
  }

  function show(v) {
    venue = v;
    sections = copy(v);
    pending = new Map();
    showPending();
    root.querySelector('[data-seat-total]').textContent = String(v.seatCount);
    draw();
    root.dataset.ready = 'true';
  }

  if (saveBtn) {
    saveBtn.addEventListener('click', async () => {
      saveBtn.disabled = true;
      try {
        let latest = venue;
        for (const [sectionId, edits] of pending) {
          // The API takes at most 200 edits a request; they apply in order either way.
          for (let i = 0; i < edits.length; i += 200)
            latest = await api('PATCH', `/api/v1/venues/${venueId}/sections/${sectionId}`, {
              edits: edits.slice(i, i + 200),
            });
          pending.delete(sectionId);
        }
        show(latest);
        flash(status, 'Saved. Campaigns you create on this venue from now on get this plan.');
      } catch (err) {
        flash(status, `${describeError(err)} Nothing after that change was saved.`, true);
        api('GET', `/api/v1/venues/${venueId}`).then(show, () => undefined);
      }
    });
    discardBtn.addEventListener('click', () => show(venue));
    window.addEventListener('beforeunload', (e) => {
      if (count()) e.preventDefault();
    });
  }

  const sectionForm = document.getElementById('section-form');
  if (sectionForm) {
    sectionForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(sectionForm);
      if (count()) return flash(status, 'Save or discard your changes to the plan first.', true);
      try {
        await api('POST', `/api/v1/venues/${venueId}/sections`, {
          name: f.get('name'),
          rank: Number(f.get('rank') || 0),
          rows: {
            from: String(f.get('rowsFrom')).trim().toUpperCase(),
            to: String(f.get('rowsTo')).trim().toUpperCase(),
          },
          seats: { from: Number(f.get('seatsFrom')), to: Number(f.get('seatsTo')) },
          zone: f.get('zone'),
        });
        window.location.reload();
      } catch (err) {
        flash(status, describeError(err), true);
      }
    });
  }

  root.querySelectorAll('[data-delete-section]').forEach((btn) =>
    btn.addEventListener('click', async () => {
      if (!window.confirm(`Remove the section “${btn.dataset.name}”? Campaigns already made keep it.`))
        return;
      try {
        await api('DELETE', `/api/v1/venues/${venueId}/sections/${btn.dataset.deleteSection}`);
        window.location.reload();
      } catch (err) {
        flash(status, describeError(err), true);
      }
    }),
  );

  const zonesForm = document.getElementById('zones-form');
  if (zonesForm && editable) {
    zonesForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('PATCH', `/api/v1/venues/${venueId}`, { zones: zonesOf(zonesForm) });
        window.location.reload();
      } catch (err) {
        flash(status, describeError(err), true);
      }
    });
  }

  api('GET', `/api/v1/venues/${venueId}`).then(show, (err) => flash(status, describeError(err), true));
})();
