// CSV writing moved to src/shared/csv.ts (promotions export codes too).
export { csvCell, toCsv } from '../../shared/csv';
