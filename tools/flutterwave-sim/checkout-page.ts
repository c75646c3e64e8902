/** HTML of the simulator's hosted checkout: plain server-rendered forms, no script needed. */

export interface CheckoutView {
  token: string;
  merchant: string;
  description?: string;
  logo?: string;
  amountText: string;
  currency: string;
  txRef: string;
  customerEmail: string;
  customerName?: string;
  state: 'open' | 'paid' | 'expired';
  /** Shown after a failed attempt, when the buyer may try again. */
  notice?: string;
  returnUrl?: string;
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const STYLE = `
  *{box-sizing:border-box} body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1a1a1a}
  main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
  h1{font-size:1.35rem;margin:.25rem 0 1rem} .badge{display:inline-block;margin:0;padding:.15rem .6rem;border-radius:999px;background:#fff3cd;color:#664d03;font-size:.85rem;font-weight:600}
  dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:0 0 1.5rem} dt{color:#555} dd{margin:0;font-weight:600;overflow-wrap:anywhere}
  .actions{display:grid;gap:.6rem} button{font:inherit;padding:.75rem 1rem;border-radius:8px;border:2px solid transparent;cursor:pointer}
  button:focus-visible,a:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
  .pay{background:#f5a623;color:#1a1a1a;font-weight:700} .fail{background:#fff;border-color:#b42318;color:#b42318} .cancel{background:#fff;border-color:#555;color:#333}
  .notice{padding:.6rem .8rem;border-radius:8px;background:#fdecea;color:#7a1c12} img{max-height:3rem}`;

export function renderCheckoutPage(view: CheckoutView): string {
  const e = escapeHtml;
  const customer = view.customerName
    ? `${e(view.customerName)} (${e(view.customerEmail)})`
    : e(view.customerEmail);
  let body: string;
  if (view.state === 'paid') {
    body = `<p role="status">This payment is complete. You can close this page.</p>`;
  } else if (view.state === 'expired') {
    body = `<p role="alert">This checkout session has expired. Go back to the merchant to start again.</p>`;
  } else {
    body = `
    ${view.notice ? `<p class="notice" role="alert">${e(view.notice)}</p>` : ''}
    <form method="post" action="/v3/hosted/pay/${e(view.token)}" class="actions" aria-label="Payment">
      <button type="submit" class="pay" name="action" value="pay">Pay ${e(view.amountText)}</button>
      <button type="submit" class="fail" name="action" value="fail">Fail payment</button>
      <button type="submit" class="cancel" name="action" value="cancel">Cancel</button>
    </form>`;
  }
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Pay ${e(view.merchant)} · Flutterwave sandbox</title>
  <style>${STYLE}</style>
</head>
<body>
  <main aria-labelledby="checkout-title">
    <p class="badge" role="note">Sandbox checkout: no real money moves</p>
    ${view.logo ? `<img src="${e(view.logo)}" alt="">` : ''}
    <h1 id="checkout-title">Pay ${e(view.merchant)}</h1>
    ${view.description ? `<p>${e(view.description)}</p>` : ''}
    <dl>
      <dt>Merchant</dt><dd>${e(view.merchant)}</dd>
      <dt>Amount</dt><dd data-field="amount">${e(view.amountText)}</dd>
      <dt>Currency</dt><dd data-field="currency">${e(view.currency)}</dd>
      <dt>Customer</dt><dd data-field="customer">${customer}</dd>
      <dt>Reference</dt><dd data-field="tx_ref">${e(view.txRef)}</dd>
    </dl>
    ${body}
  </main>
</body>
</html>`;
}

export function renderNotFoundPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout not found · Flutterwave sandbox</title><style>${STYLE}</style></head>
<body><main><h1>Checkout not found</h1><p role="alert">This payment link does not exist or has been replaced.</p></main></body></html>`;
}
