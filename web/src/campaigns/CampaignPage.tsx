/** CampaignPage: placeholder, being written. */
export function CampaignPage() {
  return null;
}
