import { Gauge, type Registry } from 'prom-client';
import type { FinanceService } from './finance.service';

/**
 * /metrics: open reconciliation differences by kind (BALANCE, TRANSFER_STATUS, ...), read from
 * the table at scrape time, so every web copy reports the same figure. Kinds with nothing open
 * read 0 once seen, so an alert on `> 0` clears when a person resolves the last one.
 */
export function registerReconciliationGauge(registry: Registry, service: FinanceService): void {
  const seen = new Set<string>();
  new Gauge({
    name: 'finance_reconciliation_differences_open',
    help: 'Reconciliation differences (ledger vs Flutterwave) not yet resolved, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const rows = await service.countOpenReconciliationDifferences().catch(() => null);
      if (!rows) return;
      this.reset();
      for (const kind of seen) this.set({ kind }, 0);
      for (const r of rows) {
        seen.add(r.kind);
        this.set({ kind: r.kind }, r.count);
      }
    },
  });
}
