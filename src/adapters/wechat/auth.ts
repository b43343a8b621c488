import { createHash } from "node:crypto";
import { z } from "zod";
import { constantTimeEqual } from "../../core/crypto";
import { PayloadError, SignatureError } from "../../core/errors";
import { aesKeyOf, decryptMessage, encryptMessage, wechatSignature } from "./crypto";
import { parseWeChatXml } from "./xml";

const PLATFORM = "wechat";

/** WeChat's Token: 3 to 32 letters or digits (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html). */
const Token = z.string().regex(/^[A-Za-z0-9]{3,32}$/, "3-32 letters or digits");
/** 43 characters of A-Z a-z 0-9: the base64 of the 32-byte AES key without its `=`. */
const EncodingAesKey = z.string().regex(/^[A-Za-z0-9]{43}$/, "43 characters of A-Z a-z 0-9");

/**
 * Plain mode: the Token(s) the signatures are made with. Safe mode (`encrypt_type=aes`) adds the AppID the
 * ciphertext must name and the EncodingAESKey(s). Listing two tokens or two keys is how a block rotates: WeChat
 * switches the moment the console is saved, so the old one is kept until no retry can still use it.
 */
export const WeChatSecrets = z.union([
  z.strictObject({
    tokens: z.array(Token).min(1),
    app_id: z.string().min(1),
    encoding_aes_keys: z.array(EncodingAesKey).min(1),
  }),
  z.strictObject({ tokens: z.array(Token).min(1) }),
]);
export type WeChatSecrets = z.output<typeof WeChatSecrets>;

type SafeSecrets = Extract<WeChatSecrets, { encoding_aes_keys: string[] }>;

const isSafe = (secrets: WeChatSecrets): secrets is SafeSecrets => "encoding_aes_keys" in secrets;

/** Whether `given` is the signature of `parts` with any of the tokens (each one tried, in constant time). */
export function signedWithAnyToken(tokens: readonly string[], given: string | null, parts: readonly string[]): boolean {
  if (given === null) return false;
  let matched = false;
  for (const token of tokens)
    matched = constantTimeEqual(given.toLowerCase(), wechatSignature([token, ...parts])) || matched;
  return matched;
}

function required(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === "")
    throw new SignatureError(`missing the ${name} query parameter`, { platform: PLATFORM });
  return value;
}

/**
 * Authenticates a push and returns the XML to parse. Plain mode: `signature` = SHA-1 of the sorted token,
 * `timestamp` and `nonce` (it does not cover the body: WeChat's design, which is why a block with an
 * EncodingAESKey refuses unencrypted pushes). Safe mode (`encrypt_type=aes`): `msg_signature` = SHA-1 of the
 * sorted token, timestamp, nonce and the body's `Encrypt`, then AES-256-CBC decryption and the AppID check; the
 * plaintext fields that compatible mode sends beside `Encrypt` are ignored (they are not authenticated).
 */
export function authenticate(query: URLSearchParams, rawBody: Uint8Array, secrets: WeChatSecrets): Uint8Array {
  const timestamp = required(query, "timestamp");
  const nonce = required(query, "nonce");
  const encryptType = query.get("encrypt_type");
  if (encryptType !== null && encryptType !== "aes" && encryptType !== "raw")
    throw new SignatureError(`unknown encrypt_type "${encryptType.slice(0, 32)}"`, { platform: PLATFORM });
  if (encryptType !== "aes") {
    if (isSafe(secrets))
      throw new SignatureError(
        "the block is in safe mode (it has encoding_aes_keys) and the push is not encrypted; a plain push's signature does not cover its body",
        { platform: PLATFORM },
      );
    if (!signedWithAnyToken(secrets.tokens, query.get("signature"), [timestamp, nonce]))
      throw new SignatureError("signature does not match the token, timestamp and nonce", { platform: PLATFORM });
    return rawBody;
  }
  if (!isSafe(secrets))
    throw new SignatureError(
      "the push is encrypted (encrypt_type=aes) and the block has no encoding_aes_keys to read it",
      { platform: PLATFORM },
    );
  const encrypt = encryptedPart(rawBody);
  if (!signedWithAnyToken(secrets.tokens, query.get("msg_signature"), [timestamp, nonce, encrypt]))
    throw new SignatureError("msg_signature does not match the token, timestamp, nonce and Encrypt", {
      platform: PLATFORM,
    });
  return decryptWithAnyKey(encrypt, secrets);
}

/** The `Encrypt` element of a safe-mode body, read with the same bounded, entity-free XML reader. */
function encryptedPart(rawBody: Uint8Array): string {
  const text = Buffer.from(rawBody).toString("utf8");
  const encrypt = parseWeChatXml(text, PLATFORM)["Encrypt"];
  if (typeof encrypt !== "string" || encrypt === "")
    throw new PayloadError("an encrypted push without an Encrypt element", { platform: PLATFORM });
  return encrypt;
}

/** The current key first; an older one (kept while rotating) only when the current one does not read it. */
function decryptWithAnyKey(encrypt: string, secrets: SafeSecrets): Uint8Array {
  let failure: unknown;
  for (const key of secrets.encoding_aes_keys) {
    try {
      return decryptMessage(encrypt, aesKeyOf(key), secrets.app_id);
    } catch (error) {
      failure ??= error;
    }
  }
  throw failure;
}

/**
 * One time for every push a process signs: two signatures of one body then differ only where the body does (the
 * conformance suite tells a signature that covers the body from one that does not by exactly that).
 */
const SIGNED_AT = String(Math.floor(Date.now() / 1000));

/** How `signPush` fills the parts a real push takes from WeChat's clock and randomness. */
export interface PushSignOptions {
  /** Unix seconds; default: when this module was loaded, so every request one process signs shares it */
  readonly timestamp?: string;
  /** default: digits derived from the timestamp */
  readonly nonce?: string;
  /** the 16-byte random prefix of a safe-mode message; default: derived from the message, so signing is repeatable */
  readonly random?: Uint8Array;
}

/** A push as WeChat would send it: the query parameters, and the body (encrypted in safe mode). */
export interface SignedPush {
  readonly query: URLSearchParams;
  readonly body: Buffer;
}

/**
 * Signs (and in safe mode encrypts) a plain XML body with the block's first token (and first key), as WeChat
 * sends it: `signature`, `timestamp`, `nonce`, and in safe mode `encrypt_type=aes`, `msg_signature` and the body
 * `<xml><ToUserName>…</ToUserName><Encrypt>…</Encrypt></xml>`.
 */
export function signPush(rawBody: Uint8Array, secrets: WeChatSecrets, options: PushSignOptions = {}): SignedPush {
  const token = secrets.tokens[0]!;
  const timestamp = options.timestamp ?? SIGNED_AT;
  const nonce = options.nonce ?? String(parseInt(createHash("sha1").update(timestamp).digest("hex").slice(0, 8), 16));
  const query = new URLSearchParams({ signature: wechatSignature([token, timestamp, nonce]), timestamp, nonce });
  if (!isSafe(secrets)) return { query, body: Buffer.from(rawBody) };
  const random = options.random ?? createHash("sha256").update(rawBody).digest().subarray(0, 16);
  const encrypt = encryptMessage(rawBody, aesKeyOf(secrets.encoding_aes_keys[0]!), secrets.app_id, random);
  const to = toUserName(rawBody);
  query.set("encrypt_type", "aes");
  query.set("msg_signature", wechatSignature([token, timestamp, nonce, encrypt]));
  const body = `<xml><ToUserName><![CDATA[${to}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  return { query, body: Buffer.from(body, "utf8") };
}

/** The account a plain body is addressed to, for the envelope of its encrypted form (empty when unreadable). */
function toUserName(rawBody: Uint8Array): string {
  try {
    const to = parseWeChatXml(Buffer.from(rawBody).toString("utf8"), PLATFORM)["ToUserName"];
    return typeof to === "string" ? to.replaceAll("]]>", "") : "";
  } catch {
    return "";
  }
}
