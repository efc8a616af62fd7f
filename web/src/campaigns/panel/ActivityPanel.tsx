/** ActivityPanel: placeholder, being written (see the contract in the canvas). */
export function ActivityPanel() {
  return null;
}
