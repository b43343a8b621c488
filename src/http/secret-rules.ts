import { ConfigError } from "../core";

/**
 * The shortest secret a block of each built-in platform may load with. Each minimum is half the length of what the
 * platform issues, so no real secret is refused, while a placeholder, a truncated paste or a mistyped reference
 * (which once became the secret itself) is:
 * - a Meta app secret (Messenger, Instagram, WhatsApp) is 32 hexadecimal characters, shown in the app dashboard
 *   (https://developers.facebook.com/docs/development/create-an-app/app-dashboard/basic-settings/); Instagram
 *   Login apps sign with an Instagram app secret of the same form;
 * - a LINE channel secret is 32 hexadecimal characters, issued in the LINE Developers Console
 *   (https://developers.line.biz/en/docs/messaging-api/receiving-messages/#verify-signature);
 * - a Viber authentication token is about 50 characters (`445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9`,
 *   https://developers.viber.com/docs/api/rest-bot-api/#authentication-token); 16 is far below it;
 * - a Twilio Auth Token is 32 hexadecimal characters, shown in the Console (https://www.twilio.com/docs/iam/api/authtoken).
 * Telegram's `secret_token` is chosen by the bot's owner: Telegram accepts 1-256 characters of `A-Z a-z 0-9 _ -`
 * (https://core.telegram.org/bots/api#setwebhook) and the adapter enforces exactly that; refusing a short one here
 * would refuse a setting Telegram accepts, so docs/http.md recommends 32 or more instead.
 * Verify tokens (Meta's GET handshake) are the owner's choice too and only answer the handshake: no minimum.
 */
const MINIMUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  messenger: { app_secrets: 16 },
  instagram: { app_secrets: 16 },
  whatsapp: { app_secrets: 16 },
  line: { channel_secrets: 16 },
  viber: { auth_tokens: 16 },
  twilio: { auth_tokens: 16 },
};

/** Throws a `ConfigError` naming the field (never the value) when a secret of a known platform is too short. */
export function checkSecretLengths(platform: string, secrets: unknown, where: string): void {
  const rules = MINIMUMS[platform];
  if (rules === undefined || secrets === null || typeof secrets !== "object") return;
  for (const [field, minimum] of Object.entries(rules)) {
    const value = (secrets as Record<string, unknown>)[field];
    const list = Array.isArray(value) ? value : [value];
    list.forEach((secret, index) => {
      if (typeof secret !== "string" || secret.length >= minimum) return;
      const name = Array.isArray(value) ? `${field}[${index}]` : field;
      throw new ConfigError(
        `${where}: secrets.${name} is shorter than ${minimum} characters: a real ${platform} secret is longer ` +
          `(see docs/http.md, "Secrets"); is it a placeholder or a reference that did not resolve?`,
      );
    });
  }
}

/**
 * The development secrets of examples/convotic.config.json (its `${VAR:-default}` defaults): fine on a laptop,
 * a door left open anywhere else, since anyone who read the example can sign requests with them.
 */
const DEVELOPMENT_SECRETS: ReadonlySet<string> = new Set([
  "dev-secret-token",
  "dev-line-channel-secret",
  "dev-meta-app-secret",
  "dev-instagram-app-secret",
  "dev-verify-token",
  "dev-viber-auth-token",
  "dev-twilio-auth-token",
  // WeChat tokens are letters and digits only
  "devWechatToken",
]);

/** The fields of `secrets` that hold one of the example config's development secrets (`app_secrets[0]`, …). */
export function developmentSecretFields(secrets: unknown): string[] {
  if (secrets === null || typeof secrets !== "object") return [];
  const found: string[] = [];
  for (const [field, value] of Object.entries(secrets)) {
    if (typeof value === "string" && DEVELOPMENT_SECRETS.has(value)) found.push(field);
    if (Array.isArray(value))
      value.forEach((item, index) => DEVELOPMENT_SECRETS.has(item as string) && found.push(`${field}[${index}]`));
  }
  return found;
}

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) ||
    bare === "::ffff:127.0.0.1"
  );
}
