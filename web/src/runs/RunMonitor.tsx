/** RunMonitor: placeholder, being written. */
export function RunMonitor() {
  return null;
}
