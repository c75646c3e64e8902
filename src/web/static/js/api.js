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
  // What a person reads: the API's plain message, never field names or codes (those stay in
  // err.code / err.details for scripts that mark a field).
  function describe(err) {
    if (!err.status) return 'The connection failed. Check your network and try again.';
    if (err.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
    if (err.status === 429) return 'Too many attempts. Please wait a moment and try again.';
    // Detail messages written as sentences ("The end must be after the start") are shown;
    // fragments meant to follow a field name ("is required") are not.
    const said = (err.details || []).map((d) => d.message).filter((m) => /^[A-Z]/.test(m || ''));
    return said.length ? said.join(' ') : err.message;
  }
  window.api = api;
  window.describeError = describe;
})();
