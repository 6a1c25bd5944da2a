/** Browser entry: hydrates each server-rendered island with the props recorded beside it. */
import { h, hydrate } from "preact";
import { type IslandName, ISLANDS } from "./registry.ts";

for (const element of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const name = element.dataset.island as IslandName;
  const Component = ISLANDS[name] as (props: unknown) => unknown;
  if (!Component) continue;
  const props = JSON.parse(element.dataset.props ?? "{}");
  // deno-lint-ignore no-explicit-any
  hydrate(h(Component as any, props), element);
  element.dataset.hydrated = "true";
}
