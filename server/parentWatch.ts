// A server started by a wrapper (npm, a shell) must not outlive it. `npm start` execs node so
// npm's forwarded SIGTERM reaches this process; this watch covers the rest: a wrapper killed
// with SIGKILL, or a shell in between that dies of the signal instead of passing it on (npm
// forwards SIGTERM only to its direct child). When the parent changes, the process was orphaned.
// Checking costs one getppid() a second and touches no database.
export function onParentExit(callback: (parent: number) => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  // Already an orphan or a container's init: nothing to watch.
  if (parent <= 1) return () => {};
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    callback(parent);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
