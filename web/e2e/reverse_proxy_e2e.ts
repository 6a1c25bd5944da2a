/**
 * Browser test behind a real reverse proxy: Debian's nginx in front of the app, terminating nothing but
 * forwarding as a TLS-terminating proxy or tunnel would — `X-Forwarded-Proto: https`, the client's Host
 * (not the app's own address) and X-Forwarded-For. With TRUST_PROXY=1 and PUBLIC_URL set, the printed
 * setup link, the setup and login forms, logout (a CSRF-protected form), an island's CSRF-protected POST,
 * the redirect to the login page and the session cookie (Secure, HttpOnly) all work through the proxy,
 * and a post from another site is refused. Chromium treats http://localhost as a secure context, so it
 * keeps the Secure cookie as it would on https.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { freePort } from "../../testing/testing.ts";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, startApp } from "./app_process.ts";
import { createOpsAndLogin, E2E_OPS } from "./login.ts";

const NGINX = "/usr/sbin/nginx";

interface Proxy {
  url: string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground on a free port, forwarding to `upstream`; config and logs in `dir`. */
async function startNginx(dir: string, upstream: string): Promise<Proxy> {
  assert.ok(fs.existsSync(NGINX), `${NGINX} is missing: apt-get install -y nginx`);
  const port = await freePort();
  // Writable by nginx's unprivileged worker when the test runs as root.
  fs.mkdirSync(path.join(dir, "temp"), { recursive: true, mode: 0o777 });
  fs.chmodSync(path.join(dir, "temp"), 0o777);
  const temp = path.join(dir, "temp");
  const config = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
  const file = path.join(dir, "nginx.conf");
  fs.writeFileSync(file, config);
  const check = spawnSync(NGINX, ["-t", "-q", "-p", dir, "-c", file], { encoding: "utf8" });
  assert.equal(check.status, 0, `nginx -t failed:\n${check.stderr}`);
  const child = spawn(NGINX, ["-p", dir, "-c", file], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://localhost:${port}`;
  for (let waited = 0;; waited += 100) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    const up = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (up) break;
    if (waited > 15_000) throw new Error(`nginx did not answer within 15 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      child.kill("SIGQUIT");
      await exited;
    },
  };
}

let app: AppProcess | undefined;
let proxy: Proxy | undefined;
let browser: Browser | undefined;
let publicUrl = "";

before(async () => {
  const port = await freePort();
  publicUrl = `https://localhost:${port}`;
  app = await startApp({ TRUST_PROXY: "1", PUBLIC_URL: publicUrl });
  proxy = await startNginx(path.join(app.tempDir, "nginx"), app.baseUrl);
  // The proxy's port is only known now; PUBLIC_URL only has to name the users' address for the link.
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 120_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await proxy?.stop();
  await app?.stop();
});

test("the setup link printed on start names the public URL", () => {
  assert.match(
    app!.output(),
    new RegExp(`Open ${publicUrl.replace(/[.]/g, "\\.")}/setup\\?token=[A-Za-z0-9_-]+ `),
  );
});

test("through the proxy: setup, logout, login, CSRF-protected forms and Secure session cookies work", async () => {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const errors = collectPageErrors(page);

  // Signed out, a page redirects to the login form on the proxy's own address.
  await page.goto(`${proxy!.url}/review`);
  assert.equal(new URL(page.url()).origin, proxy!.url);
  assert.equal(new URL(page.url()).pathname, "/login");

  // Setup form, logout form (CSRF token) and login form, all through the proxy.
  await createOpsAndLogin(page, proxy!.url, app!.output());
  const session = (await context.cookies(proxy!.url)).find((cookie) => cookie.name === "csv_sorter_session");
  assert.ok(session, "the session cookie is stored");
  assert.equal(session.secure, true, "Secure: the client side is https");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Lax");

  // An island's state-changing request (X-CSRF-Token header) through the proxy.
  await page.goto(`${proxy!.url}/`);
  await page.locator("[data-testid=load-sample]").click();
  await page.locator("[data-testid=sample-badge]").waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test("through the proxy: a post from another site is refused, a login answers a Secure cookie and a relative redirect", async () => {
  const refused = await fetch(`${proxy!.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    body: new URLSearchParams({ name: E2E_OPS.name, password: E2E_OPS.password }),
    redirect: "manual",
  });
  assert.equal(refused.status, 403);

  const login = await fetch(`${proxy!.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: proxy!.url },
    body: new URLSearchParams({ name: E2E_OPS.name, password: E2E_OPS.password }),
    redirect: "manual",
  });
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/");
  assert.match(login.headers.get("set-cookie") ?? "", /; Secure/);
});
