/**
 * Server side of an island: renders the component to HTML and records its name and props in data
 * attributes (escaped by the renderer like any attribute), so the client bundle can hydrate it without
 * any inline script. Props must be JSON-serialisable.
 */
import type { FunctionComponent } from "preact";
import { type IslandName, ISLANDS } from "../islands/registry.ts";

/** Props of {@link Island}. */
export interface IslandProps<N extends IslandName> {
  name: N;
  props: Parameters<(typeof ISLANDS)[N]>[0];
}

/** Renders island `name` with `props`, marked for hydration. */
export function Island<N extends IslandName>({ name, props }: IslandProps<N>) {
  const Component = ISLANDS[name] as FunctionComponent<typeof props>;
  return (
    <div data-island={name} data-props={JSON.stringify(props)}>
      <Component {...props} />
    </div>
  );
}
