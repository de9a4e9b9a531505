/**
 * The small YAML subset dataset files use: top-level `key: value`, block lists
 * (`- a`), block maps (`  0: a`), inline `[a, b]` / `{0: a}`, quotes, comments.
 * Enough for `path`, `train`, `val`, `test`, `nc` and `names`; not a YAML parser.
 */
export type YamlValue = string | number | null | YamlValue[] | { [key: string]: YamlValue };

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) { if (c === quote) quote = ''; }
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = '', cur = '';
  for (const c of text) {
    if (quote) { if (c === quote) quote = ''; cur += c; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out.map((s) => s.trim());
}

/** Splits `key: value` at the first colon outside quotes; undefined if there is none. */
function splitKey(text: string): [string, string] | undefined {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === ':' && (i + 1 === text.length || /\s/.test(text[i + 1]))) {
      return [scalar(text.slice(0, i).trim()) as string, text.slice(i + 1).trim()];
    }
  }
  return undefined;
}

function scalar(text: string): YamlValue {
  const t = text.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))) return t.slice(1, -1);
  if (t.startsWith('[') && t.endsWith(']')) return splitTopLevel(t.slice(1, -1)).map(scalar);
  if (t.startsWith('{') && t.endsWith('}')) {
    const obj: { [key: string]: YamlValue } = {};
    for (const part of splitTopLevel(t.slice(1, -1))) {
      const kv = splitKey(part);
      if (kv) obj[String(kv[0])] = scalar(kv[1]);
    }
    return obj;
  }
  if (/^[-+]?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

export function parseYaml(text: string): { [key: string]: YamlValue } {
  const out: { [key: string]: YamlValue } = {};
  const lines = text.split(/\r?\n/).map(stripComment).filter((l) => l.trim());
  for (let i = 0; i < lines.length; i++) {
    if (/^\s/.test(lines[i])) continue; // a block line whose key we did not know
    const kv = splitKey(lines[i]);
    if (!kv) continue;
    const [key, rest] = kv;
    if (rest) { out[String(key)] = scalar(rest); continue; }
    const block: string[] = [];
    while (i + 1 < lines.length && (/^\s/.test(lines[i + 1]) || lines[i + 1].startsWith('- '))) block.push(lines[++i].trim());
    if (!block.length) out[String(key)] = null;
    else if (block.every((b) => b.startsWith('-'))) out[String(key)] = block.map((b) => scalar(b.slice(1)));
    else {
      const obj: { [key: string]: YamlValue } = {};
      for (const b of block) {
        const e = splitKey(b);
        if (e) obj[String(e[0])] = scalar(e[1]);
      }
      out[String(key)] = obj;
    }
  }
  return out;
}

/** `names` as a list in class-id order (list form, or a map keyed by class id). */
export function yamlNames(v: YamlValue | undefined): string[] | undefined {
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (v && typeof v === 'object') {
    const out: string[] = [];
    for (const [k, name] of Object.entries(v)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0) return undefined;
      out[i] = String(name);
    }
    for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = String(i);
    return out;
  }
  return undefined;
}
