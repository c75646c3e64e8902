import fs from 'node:fs';
import path from 'node:path';

/** The benchmarks page; each benchmark script owns one section of it, between its markers. */
export const BENCHMARKS_FILE = path.resolve(__dirname, '../docs/benchmarks.md');

/**
 * Rewrites the section `name` of docs/benchmarks.md (between `<!-- bench:<name>:start -->` and
 * `<!-- bench:<name>:end -->`) with `text`, or appends it when the page does not have it yet.
 * Returns the file's path relative to the working directory, for the script's log line.
 */
export function writeBenchmarkSection(name: string, text: string): string {
  const begin = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${begin}\n${text.trim()}\n${end}`;
  fs.mkdirSync(path.dirname(BENCHMARKS_FILE), { recursive: true });
  let doc = fs.existsSync(BENCHMARKS_FILE)
    ? fs.readFileSync(BENCHMARKS_FILE, 'utf8')
    : "# Benchmarks\n\nFigures measured on this project's machines; each section belongs to one benchmark script and is rewritten only by it.\n";
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  doc =
    i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(BENCHMARKS_FILE, doc);
  return path.relative(process.cwd(), BENCHMARKS_FILE);
}
