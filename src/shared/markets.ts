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

const regionNames = new Intl.DisplayNames('en', { type: 'region' });

/** SELLER_COUNTRIES with their English names, for a <select>. */
export function sellerCountries(): Array<{ code: string; name: string }> {
  return SELLER_COUNTRIES.map((code) => ({ code, name: regionNames.of(code) ?? code }));
}
