/** CampaignList: placeholder, being written. */
export function CampaignList() {
  return null;
}
