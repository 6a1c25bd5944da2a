#!/usr/bin/env node
// The `csv-sorter` bin: registers the repo's tsx loader, then runs the TypeScript entry point.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
