// The staff page's panels build their forms alike: a labelled field, and a form that posts
// once per attempt (a retried click after a timeout is the same command) and reports in its
// own status line.
import { ApiError, explain, h, newKey } from "./vd.js";

export function field(id, key, input) {
  return h("div", { class: "field" }, h("label", { for: id, i18n: key }), input);
}

export function posting(form, out, send) {
  let key = newKey();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "";
    try {
      out.textContent = await send(key);
      key = newKey();
    } catch (err) {
      out.textContent = explain(err);
      if (err instanceof ApiError && err.status < 500) key = newKey();
    }
  });
}
