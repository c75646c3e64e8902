// Small fetch wrapper for pages: JSON in and out, the CSRF token from the page, errors as Error
// objects carrying the API's code and details.
(function () {
  const token = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') || '';
  async function api(method, url, body, extraHeaders) {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        'X-CSRF-Token': token(),
        ...(extraHeaders || {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || `Request failed (${res.status})`);
      err.code = data && data.error && data.error.code;
      err.details = (data && data.error && data.error.details) || [];
      err.status = res.status;
      throw err;
    }
    return data;
  }
  function describe(err) {
    const fields = (err.details || []).filter((d) => d.field).map((d) => `${d.field}: ${d.message}`);
    return fields.length ? `${err.message} (${fields.join('; ')})` : err.message;
  }
  window.api = api;
  window.describeError = describe;
})();
