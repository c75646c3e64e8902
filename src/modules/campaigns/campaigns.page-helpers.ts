import { defaultLowStockThreshold } from './campaigns.low-stock';
import { currencyDigits, minorToDecimal, moneyInputExample } from '../../shared/money';
import { SELLER_CURRENCIES, SELLER_TIME_ZONES, sellerCountries } from '../../shared/markets';
import { formatZoned, utcToZoned } from '../../shared/zoned-time';
import type { CampaignStatus } from './campaigns.types';

const plurals = new Intl.PluralRules('en');
const KIND_LABELS: Record<string, string> = {
  EVENT: 'Event',
  BAR: 'Bar or club',
  SPORTS: 'Sport',
  HOTEL: 'Hotel',
  OTHER: 'Other',
};
const STATUS_LABELS: Record<CampaignStatus, string> = {
  DRAFT: 'Draft',
  ACTIVE: 'On sale',
  PAUSED: 'Sales paused',
  ENDED: 'Ended',
  CANCELLED: 'Cancelled',
};

/** "1 ticket", "3 tickets" (English plural rules). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en')} ${plurals.select(n) === 'one' ? word : many}`;
}

/** Minor units as the text a seller edits: 500000 NGN → "5,000.00", 5000 UGX → "5,000". */
export function priceInput(minor: number, currency: string): string {
  const [whole = '0', fraction] = minorToDecimal(minor, currencyDigits(currency)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** What the seller's campaign pages need besides `it.fmt`. */
export function sellerPageHelpers(currency = 'NGN') {
  return {
    currencies: SELLER_CURRENCIES,
    timeZones: SELLER_TIME_ZONES,
    countries: sellerCountries(),
    zoned: {
      input: (iso: string | null, zone: string) => (iso ? utcToZoned(iso, zone) : ''),
      show: formatZoned,
    },
    priceInput,
    defaultLowStock: defaultLowStockThreshold,
    priceExample: moneyInputExample(currency),
    plural,
    kindLabel: (k: string) => KIND_LABELS[k] ?? k,
    statusLabel: (s: CampaignStatus) => STATUS_LABELS[s] ?? s,
  };
}
