/**
 * The box every wide table sits in: it scrolls sideways itself, so at a phone's width the page does not.
 * Positioned (`relative`) because an absolutely positioned descendant — a screen-reader-only header
 * label — would otherwise escape the box and widen the page (the Imports page was 886 px wide at 375).
 */
import type { ComponentChildren } from "preact";

/** Wraps a table; see the module comment. */
export function TableBox({ children }: { children: ComponentChildren }) {
  return <div class="relative overflow-x-auto max-w-full">{children}</div>;
}
