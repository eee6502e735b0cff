/** The catalog of every locale (the `Locale` enum of the contract), and the lookup by locale. */
import type { Locale } from '../adapters/types.ts';
import { en } from './en.ts';
import { ja } from './ja.ts';
import { ko } from './ko.ts';
import type { Catalog } from './types.ts';

export const CATALOGS: Readonly<Record<Locale, Catalog>> = { JA: ja, EN: en, KO: ko };

/**
 * The catalog of `locale`; `fallback`'s for a value that is not a locale (a stored setting, a
 * row written before a locale existed).
 */
export function catalog(locale: string | null | undefined, fallback: Locale = 'JA'): Catalog {
  return locale && Object.hasOwn(CATALOGS, locale)
    ? CATALOGS[locale as Locale]
    : CATALOGS[fallback];
}
