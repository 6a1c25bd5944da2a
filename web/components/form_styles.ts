/** Classes of a form field and a button on the account forms. */
export const FIELD = "w-full border border-slate-300 rounded px-2 py-1";
export const BUTTON = "bg-slate-900 text-white rounded px-4 py-2 text-sm";
