import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const CONTAINER = 'src/modules/container.ts';
/** This file names the factories in its expectations. */
const SELF = 'test/container.test.ts';

/** Every TypeScript file of the project's code and tests, relative to the root. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = path.posix.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'generated' || d.name === 'node_modules' ? [] : sourceFiles(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Calls of a module service or workflows factory, e.g. `createBookingsService(` (not their definitions). */
function factoryCalls(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?<!function )\bcreate[A-Z]\w*(?:Service|Workflows)\(/g)].map((m) => m[0]);
}

describe('the composition root', () => {
  it('when a process builds module services, then only src/modules/container.ts constructs them (a unit test may build the one service it tests)', () => {
    const files = ['src', 'workers', 'scripts', 'test'].flatMap(sourceFiles);
    const outside = files
      .filter((f) => f !== CONTAINER && f !== SELF && !f.includes('/__tests__/'))
      .filter((f) => factoryCalls(f).length > 0);
    expect(outside).toEqual([]);
    // The container itself builds each of them exactly once.
    const built = factoryCalls(CONTAINER).sort();
    expect(built).toEqual([...new Set(built)]);
    expect(built).toEqual(
      expect.arrayContaining([
        'createAnalyticsService(',
        'createBookingsService(',
        'createCampaignsService(',
        'createNotificationsService(',
        'createPaymentsService(',
        'createTicketsService(',
        'createTicketsWorkflows(',
      ]),
    );
  });
});
