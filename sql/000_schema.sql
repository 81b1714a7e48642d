-- The dialer schema holds the tables (db/migrations) and the public functions and views
-- (this folder). Names starting with "_" are internal helpers, not part of the public surface.
create schema if not exists dialer;
comment on schema dialer is 'pgdialer: campaigns, contacts, calls, and the SQL that decides when to call. Public: views and functions without a leading underscore.';
