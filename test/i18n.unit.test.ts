// Unit: the i18n catalogs (src/i18n): every locale says everything, and the lookup by locale.
import { describe, expect, it } from 'vitest';
import { CATALOGS, catalog } from '../src/i18n/catalogs.ts';

/** Every leaf of a catalog as `path → value`; a text that fills in values is read filled in. */
function leaves(value: unknown, path = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === 'function') {
    out.set(path, value('APPROVE', 'SAMPLE'));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      for (const [p, leaf] of leaves(v, path ? `${path}.${k}` : k)) out.set(p, leaf);
    }
  } else {
    out.set(path, value);
  }
  return out;
}

describe('i18n catalogs', () => {
  it('give every locale the same texts, none of them empty', () => {
    const ja = [...leaves(CATALOGS.JA).keys()].sort();
    expect(ja.length).toBeGreaterThan(40);
    for (const [locale, c] of Object.entries(CATALOGS)) {
      const texts = leaves(c);
      expect([...texts.keys()].sort(), locale).toEqual(ja);
      for (const [path, text] of texts) {
        expect(typeof text === 'string' && text.trim() !== '', `${locale} ${path}`).toBe(true);
      }
    }
  });

  it('translate: no locale repeats another one’s sentences', () => {
    const ja = leaves(CATALOGS.JA);
    for (const locale of ['EN', 'KO'] as const) {
      const same = [...leaves(CATALOGS[locale])].filter(
        ([path, text]) => ja.get(path) === text && String(text).length > 12,
      );
      expect(same, locale).toEqual([]);
    }
  });

  it('quote a decision by its own label in every feedback text', () => {
    for (const [locale, { decision }] of Object.entries(CATALOGS)) {
      for (const action of ['APPROVE', 'REJECT', 'RETURN'] as const) {
        const label = decision.labels[action];
        const texts = [
          decision.received(action),
          decision.accepted(action),
          decision.refused(action, 'SAMPLE'),
          decision.failed(action),
          decision.alreadyDecided(action, 'SAMPLE'),
        ];
        for (const text of texts) expect(text, `${locale} ${action}`).toContain(label);
      }
    }
  });

  it('look up a locale, and fall back for anything that is not one', () => {
    expect(catalog('EN')).toBe(CATALOGS.EN);
    expect(catalog('KO', 'EN')).toBe(CATALOGS.KO);
    for (const odd of [null, undefined, '', 'ja', 'FR', 'constructor', 'toString', '__proto__']) {
      expect(catalog(odd), String(odd)).toBe(CATALOGS.JA);
      expect(catalog(odd, 'EN'), String(odd)).toBe(CATALOGS.EN);
    }
  });
});
