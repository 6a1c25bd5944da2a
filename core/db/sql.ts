/**
 * A tiny tagged template for parameterised SQL, shared by both database drivers so every query is written
 * once. Values become `$n` parameters; a nested `sql` fragment is spliced in with its own parameters
 * renumbered. There is deliberately no way to splice a raw string: names never come from user input.
 */

/** A SQL statement and its parameter values, ready for either driver. */
export interface SqlQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

const FRAGMENT = Symbol("sql fragment");

interface SqlFragment extends SqlQuery {
  readonly [FRAGMENT]: true;
}

function isFragment(value: unknown): value is SqlFragment {
  return typeof value === "object" && value !== null && FRAGMENT in value;
}

/** Builds a parameterised query: sql`select * from products where id = ${id}`. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  let text = strings[0];
  const params: unknown[] = [];
  values.forEach((value, index) => {
    if (value === undefined) {
      throw new TypeError(`Cannot build SQL: parameter ${index + 1} is undefined (use null for NULL)`);
    }
    if (isFragment(value)) {
      const offset = params.length;
      text += value.text.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + offset}`);
      params.push(...value.values);
    } else {
      params.push(value);
      text += `$${params.length}`;
    }
    text += strings[index + 1];
  });
  return { text, values: params, [FRAGMENT]: true };
}

/** Formats a vector for a `::vector` parameter; pgvector reads the text form `[1,2,3]`. */
export function vectorLiteral(vector: ArrayLike<number>): string {
  return `[${Array.from(vector).join(",")}]`;
}
