import type { Client } from "pg";
import type { TableRowsLookup } from "./lint";

/**
 * Table sizes for the data-aware pass: PostgreSQL's own row estimates (`pg_class.reltuples`, kept
 * by autovacuum and ANALYZE), so the lookup costs a catalog read, never a count(*) of a big table.
 */

/**
 * Estimated rows of each table in `tables` (names as the SQL writes them, e.g. `orders`,
 * `billing.invoices`, `"Order"`), resolved with the connection's search_path. A partitioned table
 * counts the rows of its partitions. Tables that do not exist yet, or that were never vacuumed or
 * analyzed (no estimate), are left out of the map.
 */
export async function estimatedRows(client: Client, tables: readonly string[]): Promise<Map<string, number>> {
  if (tables.length === 0) return new Map();
  const { rows } = await client.query<{ name: string; rows: string | null }>(
    `SELECT t.name,
            CASE WHEN c.relkind = 'p'
                 THEN (SELECT sum(greatest(x.reltuples, 0)) FROM pg_partition_tree(c.oid) p JOIN pg_class x ON x.oid = p.relid WHERE p.isleaf)
                 WHEN c.reltuples >= 0 THEN c.reltuples
            END AS rows
       FROM unnest($1::text[]) AS t(name)
       JOIN pg_class c ON c.oid = to_regclass(t.name)`,
    [tables],
  );
  const sizes = new Map<string, number>();
  for (const row of rows) if (row.rows !== null) sizes.set(row.name, Number(row.rows));
  return sizes;
}

/** A {@link TableRowsLookup} on a connected client, for `LintOptions.tableRows`. */
export function tableRowsLookup(client: Client): TableRowsLookup {
  return (tables) => estimatedRows(client, tables);
}
