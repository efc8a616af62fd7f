/** CampaignCanvas: placeholder, being written. */
export function CampaignCanvas() {
  return null;
}
