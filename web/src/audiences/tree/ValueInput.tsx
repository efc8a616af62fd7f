import '@mantine/dates/styles.css';
import { Group, MultiSelect, NativeSelect, NumberInput, TagsInput, TextInput } from '@mantine/core';
import { DateInput } from '@mantine/dates';
import { useTranslation } from 'react-i18next';
import type { ModelAttribute } from './model';
import type { Value } from './node';
import { DURATION_UNITS, valueKind, WEEKDAYS } from './operators';

interface Props {
  attr?: ModelAttribute;
  /** The type the value takes when there is no attribute (a count). */
  type?: string;
  op: string | undefined;
  value: Value | undefined;
  onChange: (v: Value) => void;
  /** What the value is of ("country, condition 2.1"), for its label. */
  meaning: string;
}

const isNumeric = (type: string) => type === 'integer' || type === 'decimal';

/** fromList turns what a list input holds into values of the type. */
function typed(type: string, s: string): Value {
  if (isNumeric(type)) {
    const n = Number(s);
    return s.trim() !== '' && Number.isFinite(n) ? n : s;
  }
  if (type === 'boolean') return s === 'true' ? true : s === 'false' ? false : s;
  return s;
}

const asStrings = (v: Value | undefined): string[] => (Array.isArray(v) ? v.filter((x) => x !== null).map(String) : []);

/** ValueInput asks for the value an operator wants, fitted to the
 * attribute's type: a pick of the enum's values, a number, a date, a
 * duration (number and unit), a list, a range, or nothing. */
export function ValueInput({ attr, type: given, op, value, onChange, meaning }: Props) {
  const { t } = useTranslation();
  const type = attr?.type ?? given ?? 'string';
  const kind = valueKind(op);
  const label = t('tree.valueOf', { what: meaning });

  switch (kind) {
    case 'none':
      return null;
    case 'list':
      if (type === 'enum')
        return <MultiSelect aria-label={label} data={attr?.values ?? []} value={asStrings(value)} onChange={(v) => onChange(v)} searchable placeholder={t('tree.pickValues')} />;
      return <TagsInput aria-label={label} value={asStrings(value)} onChange={(v) => onChange(v.map((s) => typed(type, s)))} placeholder={t('tree.typeValues')} />;
    case 'range': {
      const [lo, hi] = Array.isArray(value) ? value : [null, null];
      const set = (i: number, v: Value) => onChange(i === 0 ? [v, hi ?? null] : [lo ?? null, v]);
      return (
        <Group gap="xs" wrap="nowrap">
          <One type={type} attr={attr} value={lo ?? null} onChange={(v) => set(0, v)} label={t('tree.rangeFrom', { what: meaning })} />
          <One type={type} attr={attr} value={hi ?? null} onChange={(v) => set(1, v)} label={t('tree.rangeTo', { what: meaning })} />
        </Group>
      );
    }
    case 'duration': {
      const m = typeof value === 'string' ? /^(\d+)([a-z]+)$/.exec(value) : null;
      const n = m ? Number(m[1]) : 30;
      const unit = m ? m[2] : 'd';
      return (
        <Group gap="xs" wrap="nowrap">
          <NumberInput aria-label={t('tree.durationOf', { what: meaning })} value={n} min={0} allowDecimal={false} onChange={(v) => onChange(`${Number(v) || 0}${unit}`)} w={90} />
          <NativeSelect
            aria-label={t('tree.unitOf', { what: meaning })}
            value={unit}
            onChange={(e) => onChange(`${n}${e.currentTarget.value}`)}
            data={DURATION_UNITS.map((u) => ({ value: u, label: t(`tree.units.${u}`) }))}
          />
        </Group>
      );
    }
    case 'days':
      // No max here: the server says what is out of range (0–366), on the condition.
      return <NumberInput aria-label={t('tree.daysOf', { what: meaning })} value={typeof value === 'number' ? value : ''} min={0} allowDecimal={false} onChange={(v) => onChange(typeof v === 'number' ? v : null)} w={110} suffix={t('tree.daysSuffix')} />;
    case 'weekdays':
      return (
        <MultiSelect aria-label={label} data={WEEKDAYS.map((d) => ({ value: d, label: t(`tree.weekdays.${d}`) }))} value={asStrings(value)} onChange={(v) => onChange(v)} />
      );
    default:
      return <One type={type} attr={attr} value={Array.isArray(value) ? null : (value ?? null)} onChange={onChange} label={label} />;
  }
}

/** One asks for one value of a type. */
function One({ type, attr, value, onChange, label }: { type: string; attr?: ModelAttribute; value: Value; onChange: (v: Value) => void; label: string }) {
  const { t } = useTranslation();
  if (value !== null && typeof value === 'object' && 'param' in value)
    return <TextInput aria-label={label} value={`$${value.param}`} readOnly description={t('tree.paramHere')} />;
  switch (type) {
    case 'enum':
      return (
        <NativeSelect
          aria-label={label}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
          data={[{ value: '', label: t('tree.pickValue'), disabled: true }, ...(attr?.values ?? []).map((v) => ({ value: v, label: v }))]}
        />
      );
    case 'integer':
    case 'decimal':
      return (
        <NumberInput
          aria-label={label}
          value={typeof value === 'number' ? value : typeof value === 'string' ? value : ''}
          allowDecimal={type === 'decimal'}
          onChange={(v) => onChange(v === '' ? null : typeof v === 'number' ? v : Number(v))}
          w={130}
        />
      );
    case 'boolean':
      return (
        <NativeSelect
          aria-label={label}
          value={value === true ? 'true' : value === false ? 'false' : ''}
          onChange={(e) => onChange(e.currentTarget.value === 'true')}
          data={[
            { value: '', label: t('tree.pickValue'), disabled: true },
            { value: 'true', label: t('tree.true') },
            { value: 'false', label: t('tree.false') },
          ]}
        />
      );
    case 'date':
    case 'timestamp': {
      // A timestamp is picked by its day, from midnight UTC; finer times
      // are written in the text.
      const s = typeof value === 'string' ? value : '';
      const day = s.slice(0, 10);
      return (
        <DateInput
          aria-label={label}
          value={/^\d{4}-\d{2}-\d{2}$/.test(day) ? day : null}
          valueFormat="YYYY-MM-DD"
          onChange={(d) => onChange(d === null ? null : type === 'timestamp' ? `${d}T00:00:00Z` : d)}
          placeholder={t('tree.datePlaceholder')}
          w={150}
        />
      );
    }
    default:
      return <TextInput aria-label={label} value={typeof value === 'string' ? value : value === null ? '' : String(value)} onChange={(e) => onChange(e.currentTarget.value)} />;
  }
}
