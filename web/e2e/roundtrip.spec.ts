import { parse } from 'yaml';
import { docCampaigns, getDraft, goCampaigns, openCanvas, putDraft } from './campaigns';
import { expect, test } from './fixtures';

// Round trip: every campaign document of the repository, and a generated
// one holding every activity type with every setting its schema publishes
// (GET /api/activity-types), opened on the canvas, moved through its model
// (read, drawn, written back by an edit: Tidy up) and saved by the UI's
// autosave, is the same document after parsing, its layout aside.

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  format?: string;
};

/** sample makes a value for a JSON Schema, every property filled. */
function sample(s: Schema, name: string): unknown {
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.[0]) return sample(alt[0], name);
  if (s.enum?.length) return s.enum[s.enum.length - 1];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(v, k);
      if (typeof s.additionalProperties === 'object') out[`${name}_key`] = sample(s.additionalProperties, `${name}_value`);
      return out;
    }
    case 'array':
      return s.items ? [sample(s.items, name), sample(s.items, `${name}_2`)] : [];
    case 'boolean':
      return true;
    case 'integer':
      return (s.minimum ?? 0) + 3;
    case 'number':
      return 12.5;
    default:
      return s.format === 'date-time' ? '2027-05-01T09:00:00+02:00' : `${name} value: "quoted" {{ profile.first_name }}\nsecond line`;
  }
}

/** corpus is one document with an activity of every type, every setting
 * set, every top-level field (the schedule's by cron, bounded), an unknown
 * field, and both transition forms. */
function corpus(types: { type: string; settings: Schema }[]): string {
  const activities: Record<string, unknown> = {};
  const transitions: unknown[] = [];
  let prev = 'begin';
  activities.begin = { type: 'start', label: 'Where it starts' };
  for (const ty of types) {
    const id = `a_${ty.type}`;
    activities[id] = { type: ty.type, label: `A ${ty.type}`, ...(sample(ty.settings, ty.type) as Record<string, unknown>) };
    transitions.push(transitions.length % 2 === 0 ? `${prev} -> ${id}` : { from: prev, output: 'out', to: id });
    prev = id;
  }
  const doc = {
    name: 'corpus',
    description: 'Every type and setting',
    dimension: 'customers',
    variables: { discount: 15, label: 'spring', ratio: 0.25, on: true, list: [1, 2] },
    schedule: { cron: '30 2 * * *', timezone: 'Europe/Paris', from: '2027-01-01T00:00:00+01:00', until: '2027-12-31T23:59:00+01:00' },
    policy: { on_error: 'wait', retries: 5, retention: '14d', tracking: 'anonymous', confirm_send: true },
    report: {
      conversions: [
        { name: 'bought', query: 'exists(purchases where purchased_at between $sent_at and $window_end)', within: '7d' },
        { name: 'opted_in', query: 'email_optin = true' },
      ],
    },
    activities,
    transitions,
    x_unknown: { kept: ['as', 'is'], n: 1 },
  };
  return JSON.stringify(doc, null, 2);
}

const withoutLayout = (d: unknown) => {
  const o = { ...(d as Record<string, unknown>) };
  delete o.layout;
  return o;
};

test('every campaign of the repository and a corpus of every type and setting come back equal from the canvas', async ({ page, signIn, store }) => {
  test.setTimeout(300_000);
  await signIn();
  const res = await page.request.get('/api/activity-types');
  expect(res.status()).toBe(200);
  const types = ((await res.json()) as { types: { type: string; settings: Schema }[] }).types;
  expect(types.length).toBeGreaterThanOrEqual(20);
  const once = JSON.parse(corpus(types)) as Record<string, unknown>;
  once.schedule = { at: '2027-05-01T09:00:00Z' };
  const docs = [
    ...docCampaigns(),
    // The Go tests' documents on one store: what they prove is the
    // canvas's reading and writing, the same on both (two minutes each).
    ...(store === 'embedded' ? goCampaigns() : []),
    { source: 'generated corpus (JSON)', text: corpus(types) },
    { source: 'generated corpus, scheduled once (JSON)', text: JSON.stringify(once, null, 2) },
  ];
  // docs/campaigns.md and docs/tracking.md hold one each (today),
  // internal/campaign/testdata the three of TestValidateAccepts, and the
  // Go tests some fifty more.
  expect(docs.length).toBeGreaterThanOrEqual(store === 'embedded' ? 50 : 7);
  console.log(`round trip of ${docs.length} documents: ${docs.map((d) => d.source).join(', ')}`);
  let i = 0;
  for (const { source, text } of docs) {
    i++;
    const name = `roundtrip-${Date.now().toString(36)}-${i}`;
    const original = parse(text) as Record<string, unknown>;
    original.name = name;
    // Named for this run (a fragment without a name gets one).
    const named = /^ {0,2}"?name"?:/m.test(text);
    const stored = named ? text.replace(/^( {0,2}"?name"?:\s*)"?[^"\n]+"?(,?)$/m, `$1${JSON.stringify(name)}$2`) : `name: ${name}\n${text}`;
    expect(parse(stored), source).toEqual(original);
    await putDraft(page.request, name, stored);
    await openCanvas(page, name, Object.keys(original.activities as object).length);
    // An edit through the canvas's model: the whole document written again.
    await page.getByRole('button', { name: 'Tidy up' }).click();
    await expect(page.getByTestId('save-status')).toHaveText('Draft saved');
    const back = await getDraft(page.request, name);
    expect(back.document, source).not.toBe(stored);
    const reread = parse(back.document) as Record<string, unknown>;
    expect(reread.layout, source).toBeDefined();
    expect(withoutLayout(reread), source).toEqual(withoutLayout(original));
  }
});
