// How an SMS travels, as the server counts it (internal/message/sms.go,
// SegmentInfo): GSM-7 when every character is in the GSM 03.38 alphabet or
// its extension table, else UCS-2; a single SMS holds 160 septets or 70
// UCS-2 units, a part of a longer one 153 or 67; a character is never split.
const gsmBasic =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const gsmExtension = '\f^{}\\[~]|€';

const gsmCost = new Map<string, number>([...[...gsmBasic].map((c) => [c, 1] as const), ...[...gsmExtension].map((c) => [c, 2] as const)]);

export interface Segments {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  chars: number;
}

export function segmentInfo(text: string): Segments {
  const chars = [...text];
  const gsm = chars.every((c) => gsmCost.has(c));
  const costs = gsm ? chars.map((c) => gsmCost.get(c) ?? 1) : chars.map((c) => c.length);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  const total = costs.reduce((a, b) => a + b, 0);
  const encoding = gsm ? 'GSM-7' : 'UCS-2';
  if (total === 0) return { encoding, segments: 0, chars: 0 };
  if (total <= single) return { encoding, segments: 1, chars: total };
  let segments = 1;
  let used = 0;
  for (const c of costs) {
    if (used + c > part) {
      segments++;
      used = 0;
    }
    used += c;
  }
  return { encoding, segments, chars: total };
}
