/** Whether a process id names a running process on this machine. */

/**
 * True when process `pid` runs on this machine. EPERM means it runs under another user: still alive.
 * A pid the kernel has since reused for another process also counts as running.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
