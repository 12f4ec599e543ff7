import { api, ApiError, session } from "../api";
import { View } from "../view";

// The key goes into this tab's session storage only (gone when the tab closes), never into a URL or a log.
export const signIn: View = {
  name: "signin",
  async mount(ctx) {
    ctx.main.innerHTML = `
      <section class="signin">
        <h1>Sign in</h1>
        <p>With an API key: an admin key shows the whole cloud, a tenant key that tenant's instances and reservations.
           Embedded mode prints one at start and keeps it in <code>data/admin-key</code>.</p>
        <form id="signin-form">
          <label for="api-key">API key</label>
          <input id="api-key" name="key" type="password" autocomplete="off" required autofocus>
          <button class="primary" type="submit">Sign in</button>
          <p class="error" id="signin-error" role="alert" hidden></p>
        </form>
      </section>`;
    const form = ctx.main.querySelector<HTMLFormElement>("#signin-form")!;
    const error = ctx.main.querySelector<HTMLElement>("#signin-error")!;
    form.addEventListener("submit", async event => {
      event.preventDefault();
      const key = (form.elements.namedItem("key") as HTMLInputElement).value.trim();
      try {
        const me = await api.me(key);
        session.set(key);
        await ctx.onSignedIn!(me);
      } catch (e) {
        error.hidden = false;
        error.textContent = e instanceof ApiError && e.status === 401 ? "That key is not valid (or was revoked)." : `Sign-in failed: ${String(e)}`;
      }
    });
  },
  async refresh() { /* nothing to refresh */ },
};
