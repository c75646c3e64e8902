// The seller finance page's "add a bank account" form, enhanced: the bank is picked from the
// provider's list for the chosen country (GET /api/v1/finance/banks), "Check account" asks the
// provider whose account it is (POST /api/v1/finance/payout-methods/resolve) and shows the name,
// and the form is saved only once that name was shown for the bank and number now in the form.
// Without this script the form posts typed values and the server resolves the name on save.
(function () {
  const form = document.querySelector('form[data-testid="add-bank-account"]');
  if (!form || !window.api) return;
  const q = form.getAttribute('data-seller-query') || '';
  const country = form.querySelector('#ba-country');
  const code = form.querySelector('#ba-bank-code');
  const bankName = form.querySelector('#ba-bank-name');
  const number = form.querySelector('#ba-number');
  const holder = form.querySelector('#ba-name');
  const select = form.querySelector('#ba-bank');
  const typed = form.querySelector('[data-bank-typed]');
  const picked = form.querySelector('[data-bank-picked]');
  const check = form.querySelector('[data-check-account]');
  const status = form.querySelector('[data-testid="resolved-name"]');
  /** What was confirmed: "bank|number", or null. */
  let confirmed = null;

  typed.hidden = true;
  picked.hidden = false;
  check.hidden = false;
  select.required = true;
  holder.readOnly = true;
  holder.placeholder = 'Filled in by "Check account"';

  function say(text, isError) {
    status.hidden = !text;
    status.textContent = text || '';
    status.classList.toggle('error', !!isError);
  }
  function unconfirm() {
    confirmed = null;
    holder.value = '';
    say('');
  }

  async function loadBanks() {
    unconfirm();
    const c = country.value.trim().toUpperCase();
    select.replaceChildren(new Option(c.length === 2 ? 'Loading banks…' : 'Choose the country first', ''));
    code.value = '';
    bankName.value = '';
    if (c.length !== 2) return;
    try {
      const sep = q ? '&' : '?';
      const data = await window.api('GET', `/api/v1/finance/banks${q}${sep}country=${encodeURIComponent(c)}`);
      select.replaceChildren(
        new Option('Choose a bank', ''),
        ...data.items.map((b) => new Option(b.name, b.code)),
      );
    } catch (err) {
      select.replaceChildren(new Option('No bank list', ''));
      say(window.describeError(err), true);
    }
  }

  let lastCountry = '';
  function countryChosen() {
    const c = country.value.trim().toUpperCase();
    if (c !== lastCountry) {
      lastCountry = c;
      void loadBanks();
    }
  }
  country.addEventListener('change', countryChosen);
  // A country the browser kept from before a reload is already chosen.
  if (country.value) countryChosen();
  select.addEventListener('change', () => {
    unconfirm();
    code.value = select.value;
    bankName.value = select.value ? select.selectedOptions[0].textContent : '';
  });
  number.addEventListener('input', unconfirm);

  check.addEventListener('click', async () => {
    unconfirm();
    if (!code.value) return say('Choose the bank first.', true);
    if (!number.checkValidity()) return say('The account number is 6 to 20 digits.', true);
    check.disabled = true;
    try {
      const { accountName } = await window.api('POST', `/api/v1/finance/payout-methods/resolve${q}`, {
        country: country.value.trim().toUpperCase(),
        bankCode: code.value,
        accountNumber: number.value,
      });
      confirmed = `${code.value}|${number.value}`;
      holder.value = accountName;
      say(`Account holder: ${accountName}`);
    } catch (err) {
      say(window.describeError(err), true);
    } finally {
      check.disabled = false;
    }
  });

  form.addEventListener('submit', (e) => {
    if (confirmed !== `${code.value}|${number.value}`) {
      e.preventDefault();
      say('Check the account first: the holder\u2019s name must be confirmed before saving.', true);
    }
  });
})();
