// Time zone names exactly as Postgres accepts them (contacts_time_zone_valid calls Postgres's
// own parser), so a name that passes here can never fail the insert. Read once per process
// from pg_timezone_names; matching is case-insensitive and returns Postgres's spelling.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../../db/zod.js';

export type TimeZoneLookup = (name: string) => string | undefined;

let cached: Promise<Map<string, string>> | undefined;

async function readNames(connection: CommonQueryMethods): Promise<Map<string, string>> {
  const names = await connection.anyFirst(sql.type(z.object({ name: z.string() }))`select name from pg_timezone_names`);
  return new Map(names.map((name) => [name.toLowerCase(), name]));
}

export async function loadTimeZones(connection: CommonQueryMethods): Promise<TimeZoneLookup> {
  cached ??= readNames(connection).catch((error) => {
    cached = undefined;
    throw error;
  });
  const names = await cached;
  return (name) => names.get(name.trim().toLowerCase());
}
