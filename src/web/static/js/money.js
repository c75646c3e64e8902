// Money in the browser, the same way the server shows it (src/shared/money.ts formatMoney):
// integer minor units placed as exact decimal text and handed to Intl with the currency's
// digits, which the page gives (data-currency-digits, from the server's table). Never a
// float made by dividing by a power of ten.
(function () {
  const formats = new Map();
  function formatMoney(minor, currency, digits) {
    const key = `${currency}|${digits}`;
    let nf = formats.get(key);
    if (!nf) {
      nf = new Intl.NumberFormat('en', {
        style: 'currency',
        currency,
        currencyDisplay: 'narrowSymbol',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
      formats.set(key, nf);
    }
    const value = BigInt(minor);
    const negative = value < 0n;
    const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
    const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
    return nf.format(`${negative ? '-' : ''}${decimal}`);
  }
  window.formatMoney = formatMoney;
})();
