/** Plain aligned text tables for terminal reports. */
export function formatTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  // Numbers (and sizes such as "24.1 MB") line up on the right, words on the left.
  const numeric = header.map((_, c) => c > 0 && rows.every((r) => /^([-+]?[\d.]|$)/.test(String(r[c] ?? ''))));
  const line = (r: string[]) => r.map((v, c) => (numeric[c] ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n') + '\n';
}
