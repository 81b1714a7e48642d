-- Monitoring the job queue (pg-boss, schema pgboss) from psql: per queue, how many jobs are in
-- each state, how many failed in the last hour, and how long the oldest ready job has waited.
-- pg-boss creates its schema after sql/ is applied, so the body is PL/pgSQL (resolved when it
-- runs, not when it is created) and answers nothing until pgboss.job exists.
-- pg-boss job states: created (waiting; "deferred" while start_after is in the future), retry
-- (waiting to run again after a failure), active, completed, cancelled, failed.

-- Why: "is the queue healthy?" at any instant, and the view below for now.
create or replace function dialer.queue_health_at(at timestamptz)
  returns table (queue text, ready bigint, deferred bigint, retry bigint, active bigint, completed bigint,
                 cancelled bigint, failed bigint, failed_last_hour bigint, oldest_ready_at timestamptz,
                 oldest_ready_seconds double precision, next_start_after timestamptz)
  language plpgsql stable
as $$
begin
  if to_regclass('pgboss.job') is null or to_regclass('pgboss.queue') is null then
    return;
  end if;
  return query
    select q.name,
           count(*) filter (where j.state in ('created', 'retry') and j.start_after <= at),
           count(*) filter (where j.state in ('created', 'retry') and j.start_after > at),
           count(*) filter (where j.state = 'retry'),
           count(*) filter (where j.state = 'active'),
           count(*) filter (where j.state = 'completed'),
           count(*) filter (where j.state = 'cancelled'),
           count(*) filter (where j.state = 'failed'),
           count(*) filter (where j.state = 'failed' and j.completed_on > at - interval '1 hour'),
           min(j.created_on) filter (where j.state in ('created', 'retry') and j.start_after <= at),
           extract(epoch from at - min(j.created_on) filter (where j.state in ('created', 'retry') and j.start_after <= at))::double precision,
           min(j.start_after) filter (where j.state in ('created', 'retry') and j.start_after > at)
    from pgboss.queue q
    left join pgboss.job j on j.name = q.name
    group by q.name
    order by q.name;
end
$$;
comment on function dialer.queue_health_at(timestamptz) is
  'Per pg-boss queue at `at`: jobs ready (created or retry, start_after <= at), deferred (start_after > at), retry, active, completed, cancelled, failed; failed_last_hour (failed with completed_on in the hour before at); oldest_ready_at / oldest_ready_seconds (the longest-waiting ready job); next_start_after (the next deferred job). Empty until pg-boss has created its schema.';

-- Why: the copy-paste monitoring query for ops: select * from dialer.queue_health;
create or replace view dialer.queue_health as
  select * from dialer.queue_health_at(now());
comment on view dialer.queue_health is
  'dialer.queue_health_at(now()): per pg-boss queue, jobs by state, failures in the last hour, the oldest ready job''s wait and the next deferred start.';
