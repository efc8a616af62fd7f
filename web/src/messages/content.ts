// What the sandbox captured of a message (GET /api/messages, the
// description of `content` in openapi.json): one of email, sms or push.
export interface EmailContent {
  from?: string;
  reply_to?: string;
  subject?: string;
  preheader?: string;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
  unsubscribe_url?: string;
  body_dropped_bytes?: number;
}
export interface SMSContent {
  from?: string;
  text?: string;
}
export interface PushContent {
  title?: string;
  body?: string;
  image?: string;
  deep_link?: string;
  data?: Record<string, string>;
  badge?: number;
  sound?: string;
  category?: string;
  android_channel?: string;
  priority?: string;
  platform?: string;
}
export interface Content {
  email?: EmailContent;
  sms?: SMSContent;
  push?: PushContent;
  platform?: string;
  body_dropped_bytes?: number;
}

export function content(c: unknown): Content {
  return c && typeof c === 'object' ? (c as Content) : {};
}

/** summary is what a message says at a glance: an email's subject, an
 * SMS's text, a push's title and body. */
export function summary(c: Content): string {
  if (c.email) return c.email.subject ?? '';
  if (c.sms) return c.sms.text ?? '';
  if (c.push) return [c.push.title, c.push.body].filter(Boolean).join(' — ');
  return '';
}

/** origin reads a message id, <run>:<activity>:<key> (proofs are
 * proof:<random>), into its run and activity. */
export function origin(id: string): { run?: number; activity?: string } {
  const parts = id.split(':');
  const run = Number(parts[0]);
  if (parts.length >= 3 && Number.isInteger(run) && parts[0] !== '') return { run, activity: parts[1] };
  return {};
}
