/**
 * What a seller chooses from when creating a campaign: the currencies Flutterwave collects in,
 * its first markets first, and the time zones of the cities those markets sell in. The API
 * takes any ISO 4217 code and IANA zone (older campaigns keep theirs); the forms offer these.
 */
export const SELLER_CURRENCIES = [
  { code: 'NGN', name: 'Nigerian naira' },
  { code: 'GHS', name: 'Ghanaian cedi' },
  { code: 'KES', name: 'Kenyan shilling' },
  { code: 'UGX', name: 'Ugandan shilling' },
  { code: 'TZS', name: 'Tanzanian shilling' },
  { code: 'RWF', name: 'Rwandan franc' },
  { code: 'ZAR', name: 'South African rand' },
  { code: 'XOF', name: 'West African CFA franc' },
  { code: 'XAF', name: 'Central African CFA franc' },
  { code: 'ZMW', name: 'Zambian kwacha' },
  { code: 'MWK', name: 'Malawian kwacha' },
  { code: 'EGP', name: 'Egyptian pound' },
  { code: 'MAD', name: 'Moroccan dirham' },
  { code: 'ETB', name: 'Ethiopian birr' },
  { code: 'USD', name: 'US dollar' },
  { code: 'EUR', name: 'Euro' },
  { code: 'GBP', name: 'British pound' },
  { code: 'CAD', name: 'Canadian dollar' },
] as const;

export const SELLER_TIME_ZONES = [
  { zone: 'Africa/Lagos', label: 'Lagos, Abuja (West Africa Time)' },
  { zone: 'Africa/Accra', label: 'Accra (GMT)' },
  { zone: 'Africa/Nairobi', label: 'Nairobi (East Africa Time)' },
  { zone: 'Africa/Kampala', label: 'Kampala (East Africa Time)' },
  { zone: 'Africa/Dar_es_Salaam', label: 'Dar es Salaam (East Africa Time)' },
  { zone: 'Africa/Kigali', label: 'Kigali (Central Africa Time)' },
  { zone: 'Africa/Johannesburg', label: 'Johannesburg, Cape Town (South Africa)' },
  { zone: 'Africa/Dakar', label: 'Dakar (GMT)' },
  { zone: 'Africa/Abidjan', label: 'Abidjan (GMT)' },
  { zone: 'Africa/Douala', label: 'Douala (West Africa Time)' },
  { zone: 'Africa/Lusaka', label: 'Lusaka (Central Africa Time)' },
  { zone: 'Africa/Blantyre', label: 'Blantyre, Lilongwe (Central Africa Time)' },
  { zone: 'Africa/Cairo', label: 'Cairo (Egypt, with summer time)' },
  { zone: 'Africa/Casablanca', label: 'Casablanca (Morocco)' },
  { zone: 'Africa/Addis_Ababa', label: 'Addis Ababa (East Africa Time)' },
  { zone: 'Europe/London', label: 'London (with summer time)' },
  { zone: 'America/New_York', label: 'New York (with summer time)' },
  { zone: 'UTC', label: 'UTC' },
] as const;

/** The countries sellers run campaigns in (the forms offer these; the API takes any ISO 3166 code). */
export const SELLER_COUNTRIES = [
  'NG',
  'GH',
  'KE',
  'UG',
  'TZ',
  'RW',
  'ZA',
  'SN',
  'CI',
  'CM',
  'ZM',
  'MW',
  'EG',
  'MA',
  'ET',
  'GB',
  'US',
  'CA',
] as const;

/**
 * Where a seller can be paid out (Flutterwave transfers), its first markets first: bank accounts
 * and mobile money wallets. The payout forms offer only these and the finance API refuses any
 * other country for a payout method (a transfer there would only fail later, at payout time).
 */
export const PAYOUT_COUNTRIES = {
  BANK_ACCOUNT: ['NG', 'GH', 'KE', 'UG', 'TZ', 'ZA', 'RW', 'ZM', 'CI', 'SN', 'CM', 'US', 'GB'],
  MOBILE_MONEY: ['KE', 'GH', 'UG', 'TZ', 'RW', 'ZM', 'MW', 'CI', 'SN', 'CM', 'ET'],
} as const satisfies Record<'BANK_ACCOUNT' | 'MOBILE_MONEY', readonly string[]>;

/** The pages' language; names of countries follow it (one language today: English). */
export const PAGE_LOCALE = 'en';

const regionNames = new Map<string, Intl.DisplayNames>();

/** Countries as a <select> offers them, in the given order, named in `locale` ("NG" → "Nigeria"). */
export function countryOptions(
  codes: readonly string[],
  locale = PAGE_LOCALE,
): Array<{ code: string; name: string }> {
  let names = regionNames.get(locale);
  if (!names) regionNames.set(locale, (names = new Intl.DisplayNames([locale, 'en'], { type: 'region' })));
  return codes.map((code) => ({ code, name: names.of(code) ?? code }));
}

/** SELLER_COUNTRIES with their names, for a <select>. */
export function sellerCountries(locale = PAGE_LOCALE): Array<{ code: string; name: string }> {
  return countryOptions(SELLER_COUNTRIES, locale);
}
