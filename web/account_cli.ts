/**
 * `npm run user -- …` and `npm run token -- …`: accounts and API tokens from a shell, for scripts and
 * for the first ops account on a server nobody has opened yet. Talks to the configured database
 * (DATABASE_URL or POSTGRES_*, else the embedded one in DATA_DIR — which the running server locks: stop
 * it first, or use the setup link and the Accounts page instead). Passwords are read from standard
 * input (first line), or prompted for twice without echo on a terminal; never from the command line,
 * where they would end up in the shell history and the process list.
 *
 *   user create --name NAME --role reviewer|ops     user list
 *   user disable --name NAME | enable --name NAME   user password --name NAME
 *   token create --name LABEL --user NAME [--role reviewer|ops]
 *   token list                                      token revoke --id N
 */
import { parseArgs } from "node:util";
import { Role } from "../contract/schemas.ts";
import { loadConfig } from "../core/runtime/config.ts";
import type { Database } from "../core/db/database.ts";
import { migrate } from "../core/db/migrate.ts";
import { openDatabase } from "../core/db/open_database.ts";
import {
  AccountError,
  createUser,
  listUsers,
  setUserDisabled,
  setUserPassword,
} from "../core/accounts/accounts.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../core/accounts/api_tokens.ts";
import { recordAudit } from "../core/accounts/audit.ts";

/** What the CLI reads and writes; tests pass their own. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Reads a password (prompting with `label` on a terminal). */
  readPassword: (label: string) => Promise<string>;
  /** Who runs the command, for the audit trail. */
  osUser: string;
}

const USAGE = `Usage:
  npm run user -- create --name NAME --role reviewer|ops   (password on stdin, or prompted)
  npm run user -- list | disable --name NAME | enable --name NAME | password --name NAME
  npm run token -- create --name LABEL --user NAME [--role reviewer|ops]
  npm run token -- list | revoke --id N`;

/** Runs one command; returns the exit code. */
export async function runAccountCli(db: Database, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      role: { type: "string" },
      user: { type: "string" },
      id: { type: "string" },
    },
  });
  const [subject, action] = positionals;
  const actor = { name: null, id: null, via: "cli" };
  const audit = (kind: string, details: Record<string, unknown>) =>
    recordAudit(db, actor, kind, { ...details, os_user: io.osUser });
  const need = (value: string | undefined, flag: string): string => {
    if (!value) throw new AccountError("invalid", `Missing --${flag}\n${USAGE}`);
    return value;
  };
  const role = () => {
    const parsed = Role.safeParse(values.role ?? "reviewer");
    if (!parsed.success) {
      throw new AccountError("invalid", `--role must be reviewer or ops, not "${values.role}"`);
    }
    return parsed.data;
  };
  try {
    switch (`${subject} ${action}`) {
      case "user create": {
        const name = need(values.name, "name");
        const password = await io.readPassword(`Password for ${name}`);
        const user = await createUser(db, { name, role: role(), password });
        await audit("user.create", { name: user.name, role: user.role });
        io.out(`Created ${user.role} account "${user.name}"`);
        return 0;
      }
      case "user list":
        for (const user of await listUsers(db)) {
          io.out(`${user.name}\t${user.role}${user.disabled ? "\tdisabled" : ""}`);
        }
        return 0;
      case "user disable":
      case "user enable": {
        const user = await setUserDisabled(db, need(values.name, "name"), action === "disable");
        await audit(`user.${action}`, { name: user.name });
        io.out(`${action === "disable" ? "Disabled" : "Enabled"} "${user.name}"`);
        return 0;
      }
      case "user password": {
        const name = need(values.name, "name");
        const user = await setUserPassword(db, name, await io.readPassword(`New password for ${name}`));
        await audit("user.password", { name: user.name });
        io.out(`Changed the password of "${user.name}"; its sessions ended`);
        return 0;
      }
      case "token create": {
        const created = await createApiToken(db, {
          name: need(values.name, "name"),
          userName: need(values.user, "user"),
          role: role(),
          createdBy: null,
        });
        const { view } = created;
        await audit("token.create", { id: view.id, name: view.name, user: view.user, role: view.role });
        io.err(`Token ${view.id} "${view.name}" acts as ${view.user} (${view.role}). It is shown only now:`);
        io.out(created.token);
        return 0;
      }
      case "token list":
        for (const token of await listApiTokens(db)) {
          io.out(
            `${token.id}\t${token.name}\t${token.user}\t${token.role}\t` +
              (token.revoked_at
                ? `revoked ${token.revoked_at}`
                : `last used ${token.last_used_at ?? "never"}`),
          );
        }
        return 0;
      case "token revoke": {
        const id = Number(need(values.id, "id"));
        if (!Number.isInteger(id) || id <= 0 || id > 2 ** 31 - 1) {
          throw new AccountError("invalid", `--id must be a token id, not "${values.id}"`);
        }
        const token = await revokeApiToken(db, id);
        await audit("token.revoke", { id: token.id, name: token.name, user: token.user });
        io.out(`Revoked token ${token.id} "${token.name}"`);
        return 0;
      }
      default:
        io.err(USAGE);
        return 2;
    }
  } catch (error) {
    if (error instanceof AccountError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

/** Reads one line from a terminal without echoing it. */
async function promptHidden(label: string): Promise<string> {
  const encoder = new TextEncoder();
  await Deno.stderr.write(encoder.encode(`${label}: `));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  try {
    const buffer = new Uint8Array(1);
    while ((await Deno.stdin.read(buffer)) === 1) {
      const byte = buffer[0];
      if (byte === 3) throw new Error("Cancelled");
      if (byte === 13 || byte === 10) break;
      if (byte === 127 || byte === 8) bytes.pop();
      else bytes.push(byte);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

let stdinLines: Promise<string[]> | undefined;

/** The password: prompted twice on a terminal, else the next line of standard input. */
async function readPassword(label: string): Promise<string> {
  if (Deno.stdin.isTerminal()) {
    const first = await promptHidden(label);
    if ((await promptHidden(`${label} (again)`)) !== first) {
      throw new AccountError("invalid", "The two passwords differ");
    }
    return first;
  }
  stdinLines ??= new Response(Deno.stdin.readable).text().then((text) => text.split(/\r?\n/));
  return (await stdinLines).shift() ?? "";
}

if (import.meta.main) {
  let db: Database | undefined;
  try {
    db = await openDatabase(loadConfig(), { applicationName: "csv-sorter-cli", max: 1 });
    await migrate(db);
    Deno.exitCode = await runAccountCli(db, Deno.args, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      readPassword,
      osUser: Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? "unknown",
    });
  } catch (error) {
    console.error((error as Error).message);
    Deno.exitCode = 1;
  } finally {
    await db?.close();
  }
}
