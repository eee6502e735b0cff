/**
 * Where each platform sends a tenant's button clicks (DECISIONS.md, "The flow"): shown to admins
 * (Slack's Request URL to paste) and set on the LINE WORKS bot by Renkei.
 */

/** `{PUBLIC_BASE_URL}/slack/interactivity/{tenant}`: Interactivity & Shortcuts > Request URL. */
export function slackInteractivityUrl(env: { PUBLIC_BASE_URL: string }, tenantId: string): string {
  return new URL(`/slack/interactivity/${encodeURIComponent(tenantId)}`, env.PUBLIC_BASE_URL).href;
}

/** `{PUBLIC_BASE_URL}/line-works/callback/{tenant}`: the bot's `callbackUrl`. */
export function lineWorksCallbackUrl(env: { PUBLIC_BASE_URL: string }, tenantId: string): string {
  return new URL(`/line-works/callback/${encodeURIComponent(tenantId)}`, env.PUBLIC_BASE_URL).href;
}
