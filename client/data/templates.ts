/**
 * Reply templates: short texts the therapist writes once (settings, views/settings-templates.tsx)
 * and inserts from the composer (views/template-picker.tsx). Kept in the vault like every
 * record, encrypted, in a collection of their own; they never leave the device.
 *
 *   templates  ''  template id (b64url of 16 random bytes)  ReplyTemplate
 * @module
 */
import * as v from 'valibot';
import { MAX_TEXT_LENGTH } from '../../shared/consts.ts';
import { toBase64url } from '../../shared/encoding.ts';
import { randomBytes } from '../../shared/provider.ts';
import type { VaultValue } from '../vault/codec.ts';
import type { Vault } from '../vault/vault.ts';
import { checked } from './schemas.ts';

export interface ReplyTemplate {
  readonly id: string;
  /** What the list shows first (e.g. "Running late"). */
  readonly title: string;
  /** What is inserted into the composer; at most a message's length. */
  readonly text: string;
  readonly createdAt: number;
}

/** A title shows on one line of the list. */
export const MAX_TEMPLATE_TITLE = 80;
/** Enough for any practice; the list stays quick to read with the arrow keys. */
export const MAX_TEMPLATES = 100;

const COLLECTION = 'templates';
const ROOT = '';

const ReplyTemplateSchema: v.GenericSchema<unknown, ReplyTemplate> = v.looseObject({
  id: v.string(),
  title: v.string(),
  text: v.string(),
  createdAt: v.number(),
});

/** The therapist's reply templates in the vault (unlocked). */
export class Templates {
  constructor(private readonly vault: Vault) {}

  /** Every template, oldest first (the order they were written in). */
  async list(): Promise<ReplyTemplate[]> {
    const entries = await this.vault.listJSON(COLLECTION, ROOT);
    return entries.map((e) => checked(ReplyTemplateSchema, COLLECTION, e.value)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /**
   * Saves a new template (no `id`) or a changed one. Blank text, a text longer than a message
   * may be, or the 101st template is refused with a RangeError naming the problem.
   */
  async save(input: { id?: string; title: string; text: string }, now: number): Promise<ReplyTemplate> {
    const text = input.text.trim();
    const title = input.title.trim().slice(0, MAX_TEMPLATE_TITLE) || firstLine(text);
    if (!text) throw new RangeError('A template needs some text.');
    if (text.length > MAX_TEXT_LENGTH) throw new RangeError(`A template can be at most ${MAX_TEXT_LENGTH.toLocaleString('en')} characters, as a message.`);
    const existing = input.id === undefined ? undefined : (await this.list()).find((t) => t.id === input.id);
    if (!existing && (await this.list()).length >= MAX_TEMPLATES) throw new RangeError(`At most ${MAX_TEMPLATES} templates; remove one first.`);
    const template: ReplyTemplate = { id: existing?.id ?? toBase64url(randomBytes(16)), title, text, createdAt: existing?.createdAt ?? now };
    await this.vault.putJSON(COLLECTION, ROOT, template.id, template as unknown as VaultValue);
    return template;
  }

  async remove(id: string): Promise<void> {
    await this.vault.delete(COLLECTION, ROOT, id);
  }
}

/** The first line of `text`, shortened for a title. */
const firstLine = (text: string): string => {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
};
