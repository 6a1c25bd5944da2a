/** The hidden `_csrf` field every plain form of a signed-in page carries (see web/http/csrf.ts). */
import { currentUser } from "../http/current_user.ts";

/** The session's CSRF token as a hidden form field; nothing outside a session. */
export function CsrfField() {
  const token = currentUser()?.csrfToken;
  return token ? <input type="hidden" name="_csrf" value={token} /> : null;
}
