// The zone of a number outside the US and Canada, for countries that have a single zone (or,
// for the NANP's Caribbean and Pacific members, are a single island zone). Countries spanning
// several zones (AU, BR, MX, RU, ID, ES with the Canaries, PT with the Azores, …) are left out:
// their numbers get no zone and the campaign's zone applies.
const zoneByCountry: Record<string, string> = {
  // NANP members other than the US and Canada
  AG: 'America/Antigua', AI: 'America/Anguilla', AS: 'Pacific/Pago_Pago', BB: 'America/Barbados',
  BM: 'Atlantic/Bermuda', BS: 'America/Nassau', DM: 'America/Dominica', DO: 'America/Santo_Domingo',
  GD: 'America/Grenada', GU: 'Pacific/Guam', JM: 'America/Jamaica', KN: 'America/St_Kitts',
  KY: 'America/Cayman', LC: 'America/St_Lucia', MP: 'Pacific/Saipan', MS: 'America/Montserrat',
  PR: 'America/Puerto_Rico', SX: 'America/Lower_Princes', TC: 'America/Grand_Turk', TT: 'America/Port_of_Spain',
  VC: 'America/St_Vincent', VG: 'America/Tortola', VI: 'America/St_Thomas',
  // Europe
  AT: 'Europe/Vienna', BE: 'Europe/Brussels', BG: 'Europe/Sofia', CH: 'Europe/Zurich', CY: 'Asia/Nicosia',
  CZ: 'Europe/Prague', DE: 'Europe/Berlin', DK: 'Europe/Copenhagen', EE: 'Europe/Tallinn', FI: 'Europe/Helsinki',
  FR: 'Europe/Paris', GB: 'Europe/London', GR: 'Europe/Athens', HR: 'Europe/Zagreb', HU: 'Europe/Budapest',
  IE: 'Europe/Dublin', IS: 'Atlantic/Reykjavik', IT: 'Europe/Rome', LT: 'Europe/Vilnius', LU: 'Europe/Luxembourg',
  LV: 'Europe/Riga', MT: 'Europe/Malta', NL: 'Europe/Amsterdam', NO: 'Europe/Oslo', PL: 'Europe/Warsaw',
  RO: 'Europe/Bucharest', RS: 'Europe/Belgrade', SE: 'Europe/Stockholm', SI: 'Europe/Ljubljana',
  SK: 'Europe/Bratislava', UA: 'Europe/Kiev',
  // Asia, Africa, Oceania, Latin America
  AE: 'Asia/Dubai', BD: 'Asia/Dhaka', CN: 'Asia/Shanghai', EG: 'Africa/Cairo', GH: 'Africa/Accra',
  HK: 'Asia/Hong_Kong', IL: 'Asia/Jerusalem', IN: 'Asia/Kolkata', JP: 'Asia/Tokyo', KE: 'Africa/Nairobi',
  KR: 'Asia/Seoul', LK: 'Asia/Colombo', MA: 'Africa/Casablanca', MY: 'Asia/Kuala_Lumpur', NG: 'Africa/Lagos',
  NP: 'Asia/Kathmandu', PH: 'Asia/Manila', PK: 'Asia/Karachi', QA: 'Asia/Qatar', SA: 'Asia/Riyadh',
  SG: 'Asia/Singapore', TH: 'Asia/Bangkok', TR: 'Europe/Istanbul', TW: 'Asia/Taipei', VN: 'Asia/Ho_Chi_Minh',
  ZA: 'Africa/Johannesburg', AR: 'America/Argentina/Buenos_Aires', CO: 'America/Bogota', CR: 'America/Costa_Rica',
  GT: 'America/Guatemala', PA: 'America/Panama', PE: 'America/Lima', UY: 'America/Montevideo',
  VE: 'America/Caracas',
};

/** The zone of a single-zone country (ISO 3166 alpha-2), undefined otherwise. */
export function zoneOfCountry(country: string): string | undefined {
  return zoneByCountry[country];
}
