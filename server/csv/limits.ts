// Bounds on what one import may carry, so a contact's variables stay small enough to send to
// VAPI with every call and a hostile file cannot bloat the database.
export const importLimits = {
  /** Columns that become variables (besides phone, name and time zone). */
  maxVariableColumns: 50,
  /** Characters in one value (a variable, or the name: 200, as contacts.name allows). */
  maxValueLength: 1_000,
  maxNameLength: 200,
  /** Bytes of one contact's variables as JSON. */
  maxVariablesBytes: 8 * 1024,
  /** Row errors kept in the report; the rest are only counted (errorsOmitted). */
  maxStoredErrors: 1_000,
  /** Rows per INSERT. */
  batchSize: 1_000,
  /** Default body limit of POST …/contacts/import (IMPORT_MAX_BYTES). */
  defaultMaxBytes: 50 * 1024 * 1024,
} as const;
