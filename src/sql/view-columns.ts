import type { Node, ResTarget, SelectStmt, SubLink, ViewStmt } from "libpg-query";
import { kindOf, nodeAs, strings } from "./ast";

/**
 * A view's output columns as its definition names them, where PostgreSQL's naming can be known from
 * the parse tree alone. `CREATE OR REPLACE VIEW` must keep them: same names, same order, new ones
 * only at the end.
 */
export interface ViewColumns {
  /**
   * Their names, in order from the first; `null` where the name cannot be known for certain (an
   * expression whose name depends on more than the tree, such as `current_user` or `extract(...)`).
   * `null` rather than undefined: schema events cross threads and the lint cache as JSON.
   */
  names: (string | null)[];
  /** True when more columns may follow `names`: a `*` expands to columns the definition does not list, so how many there are is unknown. */
  more?: true;
}

/** A view of which nothing is known: every name and the number of columns unknown. */
export const UNKNOWN_VIEW_COLUMNS: ViewColumns = { names: [], more: true };

/**
 * The output columns of a CREATE [OR REPLACE] VIEW, named as PostgreSQL 15 names them (measured on
 * the server): the view's column list first, then each target's alias, a column reference's
 * column, a function call's function (`count(*)` is `count`), a cast of an unnamed value its type
 * (`'x'::text` is `text`, `1::int` is `int4`), `?column?` for other expressions (`a + 1`, `'x'`),
 * `columnN` for VALUES; a set operation (UNION, ...) takes the names of its first SELECT. Columns
 * from a `*` (`SELECT *`, `t.*`, `(x).*`) are never guessed, even when the table's columns are known:
 * the known names stop there and `more` is set.
 */
export function viewColumns(view: ViewStmt): ViewColumns {
  const select = firstSelect(nodeAs(view.query, "SelectStmt"));
  if (!select) return UNKNOWN_VIEW_COLUMNS;
  const { names, more } = selectColumns(select);
  const aliases = strings(view.aliases);
  // More names than columns: PostgreSQL refuses the view ("CREATE VIEW specifies more column names than columns").
  if (!more && aliases.length > names.length) return UNKNOWN_VIEW_COLUMNS;
  for (const [i, alias] of aliases.entries()) names[i] = alias;
  return more ? { names, more } : { names };
}

/**
 * The parser location of the `index`th output column in the definition: its alias in the view's
 * column list has none, so the view's name then; undefined when the column is not written out
 * (after a `*`).
 */
export function viewColumnLocation(view: ViewStmt, index: number): number | undefined {
  if (index < (view.aliases?.length ?? 0)) return view.view?.location;
  const select = firstSelect(nodeAs(view.query, "SelectStmt"));
  if (select?.valuesLists) {
    const value = nodeAs(select.valuesLists[0], "List")?.items?.[index];
    const kind = value ? kindOf(value) : undefined;
    return kind ? ((value as Record<string, { location?: number }>)[kind].location ?? undefined) : undefined;
  }
  const targets = select?.targetList ?? [];
  for (let i = 0; i <= index && i < targets.length; i++) {
    const target = nodeAs(targets[i], "ResTarget");
    if (!target || isStar(target.val)) return undefined;
    if (i === index) return target.location;
  }
  return undefined;
}

/** The SELECT whose targets name a query's columns: the first one of a set operation. */
function firstSelect(select: SelectStmt | undefined): SelectStmt | undefined {
  let s = select;
  while (s && s.op !== undefined && s.op !== "SETOP_NONE") s = s.larg;
  return s;
}

/** The columns of one SELECT (or VALUES), named as PostgreSQL names them. */
function selectColumns(select: SelectStmt): { names: (string | null)[]; more: boolean } {
  if (select.valuesLists) {
    const first = nodeAs(select.valuesLists[0], "List")?.items ?? [];
    return { names: first.map((_, i) => `column${i + 1}`), more: false };
  }
  const names: (string | null)[] = [];
  for (const node of select.targetList ?? []) {
    const target = nodeAs(node, "ResTarget");
    if (!target || isStar(target.val)) return { names, more: true };
    names.push(targetName(target));
  }
  return { names, more: false };
}

/** The name PostgreSQL gives a target: its alias, or the name of its expression (null when not known). */
function targetName(target: ResTarget): string | null {
  if (target.name !== undefined) return target.name;
  return expressionName(target.val)?.name ?? null;
}

/** True for a target that expands to several columns: `*`, `t.*`, `(x).*`. */
function isStar(node: Node | undefined): boolean {
  const ref = nodeAs(node, "ColumnRef");
  if (ref) return (ref.fields ?? []).some((f) => nodeAs(f, "A_Star") !== undefined);
  const indirection = nodeAs(node, "A_Indirection");
  return (indirection?.indirection ?? []).some((i) => nodeAs(i, "A_Star") !== undefined);
}

/** PostgreSQL's name for an expression with no alias: `?column?` when it has none of its own. */
const NO_NAME = "?column?";

/**
 * A name and how strongly it holds (PostgreSQL's FigureColnameInternal, parse_target.c): 2 for a
 * real name (a column, a function), 1 for a fallback (a cast's type, `case`), 0 for `?column?`. A
 * cast keeps its operand's name when that is a real one, else takes its type's; a CASE keeps its
 * ELSE's real name, else is `case`.
 */
interface FiguredName {
  name: string;
  strength: 0 | 1 | 2;
}

/**
 * The name PostgreSQL 15 gives an unaliased expression, or undefined when it cannot be known for
 * certain from the tree (dbpipe's parser is PostgreSQL 17's, and the SQL-syntax forms such as
 * `extract(...)`, `current_user` or `x AT TIME ZONE y` are where the trees of versions differ).
 */
function expressionName(node: Node | undefined): FiguredName | undefined {
  if (!node) return { name: NO_NAME, strength: 0 };
  switch (kindOf(node)) {
    case "ColumnRef": {
      const name = strings(nodeAs(node, "ColumnRef")?.fields).at(-1);
      return name === undefined ? undefined : { name, strength: 2 };
    }
    case "A_Indirection": {
      const indirection = nodeAs(node, "A_Indirection");
      const field = strings(indirection?.indirection).at(-1);
      return field !== undefined ? { name: field, strength: 2 } : expressionName(indirection?.arg);
    }
    case "FuncCall": {
      const call = nodeAs(node, "FuncCall");
      const name = strings(call?.funcname).at(-1);
      return call?.funcformat === "COERCE_EXPLICIT_CALL" && name !== undefined ? { name, strength: 2 } : undefined;
    }
    case "TypeCast": {
      const cast = nodeAs(node, "TypeCast");
      const operand = expressionName(cast?.arg);
      const type = strings(cast?.typeName?.names).at(-1);
      if (!operand || operand.strength === 2) return operand;
      return type === undefined ? undefined : { name: type, strength: 1 };
    }
    case "CollateClause":
      return expressionName(nodeAs(node, "CollateClause")?.arg);
    case "CaseExpr": {
      const otherwise = expressionName(nodeAs(node, "CaseExpr")?.defresult);
      if (!otherwise || otherwise.strength === 2) return otherwise;
      return { name: "case", strength: 1 };
    }
    case "A_Expr":
      return nodeAs(node, "A_Expr")?.kind === "AEXPR_NULLIF" ? { name: "nullif", strength: 2 } : { name: NO_NAME, strength: 0 };
    case "CoalesceExpr":
      return { name: "coalesce", strength: 2 };
    case "MinMaxExpr": {
      const op = nodeAs(node, "MinMaxExpr")?.op;
      return op === "IS_GREATEST" ? { name: "greatest", strength: 2 } : op === "IS_LEAST" ? { name: "least", strength: 2 } : undefined;
    }
    case "A_ArrayExpr":
      return { name: "array", strength: 2 };
    case "RowExpr":
      return { name: "row", strength: 2 };
    case "GroupingFunc":
      return { name: "grouping", strength: 2 };
    case "SubLink":
      return subqueryName(nodeAs(node, "SubLink"));
    case "A_Const":
    case "BoolExpr":
    case "NullTest":
    case "BooleanTest":
      return { name: NO_NAME, strength: 0 };
    default:
      return undefined;
  }
}

/** `exists`, `array`, a scalar subquery's first column's name, `?column?` for `IN (SELECT ...)` and the like. */
function subqueryName(link: SubLink | undefined): FiguredName | undefined {
  switch (link?.subLinkType) {
    case "EXISTS_SUBLINK":
      return { name: "exists", strength: 2 };
    case "ARRAY_SUBLINK":
      return { name: "array", strength: 2 };
    case "EXPR_SUBLINK": {
      const select = firstSelect(nodeAs(link.subselect, "SelectStmt"));
      const name = select ? selectColumns(select).names[0] : undefined;
      return name === undefined || name === null ? undefined : { name, strength: 2 };
    }
    case "ANY_SUBLINK":
    case "ALL_SUBLINK":
    case "ROWCOMPARE_SUBLINK":
      return { name: NO_NAME, strength: 0 };
    default:
      return undefined;
  }
}
