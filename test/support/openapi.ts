import type { BuiltApp } from '../../src/app';
import { listRoutes } from '../../src/shared/http/openapi';

/**
 * Checks that the named API modules are mounted, that each one's routes are exactly what it
 * documents, and that the app's OpenAPI document has every documented operation. Returns every
 * route of those modules as "method /path" (OpenAPI style), sorted.
 */
export function expectRoutesDocumented(
  app: Pick<BuiltApp, 'modules' | 'openapi'>,
  names: string[],
): string[] {
  const mine = app.modules.filter((m) => names.includes(m.name));
  expect(mine.map((m) => m.name).sort()).toEqual([...names].sort());
  const all: string[] = [];
  for (const m of mine) {
    const routes = listRoutes(m.prefix, m.router)
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    const documented = Object.entries(m.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((method) => `${method} ${p}`))
      .sort();
    expect(routes).toEqual(documented);
    for (const d of documented) {
      const [method, p] = d.split(' ');
      expect(app.openapi.paths[p!]?.[method!]).toBeDefined();
    }
    all.push(...routes);
  }
  return all.sort();
}
