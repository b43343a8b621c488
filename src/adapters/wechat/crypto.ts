import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { ConfigError, PayloadError, SignatureError } from "../../core/errors";

/*
 * WeChat's two signatures and its "safe mode" cipher, as the official message encryption documents describe them
 * (https://developers.weixin.qq.com/doc/oplatform/en/Third-party_Platforms/Message_Encryption/Technical_Plan.html,
 * https://developers.weixin.qq.com/doc/service/en/Message_Management/Message_encryption_and_decryption_instructions.html,
 * worked vectors at https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html).
 */

const PLATFORM = "wechat";

/**
 * `signature` (GET handshake, every POST): lower-case hex SHA-1 of token, timestamp and nonce sorted and joined
 * with nothing between them. `msg_signature` (safe mode) adds the `Encrypt` text as a fourth part. The parts are
 * sorted as byte strings, as every SDK does (base64's `+` and `/` sort before the digits).
 */
export function wechatSignature(parts: readonly string[]): string {
  const sorted = parts.map((part) => Buffer.from(part, "utf8")).sort(Buffer.compare);
  return createHash("sha1").update(Buffer.concat(sorted)).digest("hex");
}

/**
 * The AES-256 key of an EncodingAESKey: 43 characters of `A-Z a-z 0-9`, the base64 of 32 bytes without its `=`.
 * A key of any other form is a configuration error, never a silently shorter key.
 */
export function aesKeyOf(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey))
    throw new ConfigError("an EncodingAESKey is 43 characters of A-Z a-z 0-9", { platform: PLATFORM });
  const key = Buffer.from(encodingAesKey + "=", "base64");
  if (key.length !== 32) throw new ConfigError("an EncodingAESKey must decode to 32 bytes", { platform: PLATFORM });
  return key;
}

/** WeChat pads to a multiple of 32 bytes (the key's length), not AES's 16: Node's own unpadding cannot read it. */
const BLOCK = 32;
const RANDOM_BYTES = 16;
const LENGTH_BYTES = 4;

/**
 * Decrypts an `Encrypt` text: AES-256-CBC with the key and IV = the key's first 16 bytes, PKCS#7 to 32 bytes,
 * then `random(16) ‖ msg_len(4, big-endian) ‖ msg ‖ AppID`. Returns the message bytes when the trailing AppID is
 * `appId`; a wrong AppID is a `SignatureError` (the push was made for another account, official code -40005), a
 * ciphertext that does not decrypt to that layout a `PayloadError`.
 */
export function decryptMessage(encrypt: string, key: Buffer, appId: string): Buffer {
  const cipher = Buffer.from(encrypt, "base64");
  if (cipher.length === 0 || cipher.length % BLOCK !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encrypt))
    throw new PayloadError("Encrypt is not base64 of whole 32-byte blocks", { platform: PLATFORM });
  const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(cipher), decipher.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > BLOCK || plain.length < pad + RANDOM_BYTES + LENGTH_BYTES)
    throw new PayloadError("Encrypt does not decrypt to a padded WeChat message", { platform: PLATFORM });
  const content = plain.subarray(0, plain.length - pad);
  const length = content.readUInt32BE(RANDOM_BYTES);
  const start = RANDOM_BYTES + LENGTH_BYTES;
  if (start + length > content.length)
    throw new PayloadError("Encrypt's message length runs past its end", { platform: PLATFORM });
  const trailing = content.subarray(start + length);
  if (!trailing.equals(Buffer.from(appId, "utf8")))
    throw new SignatureError("the encrypted message names another AppID", { platform: PLATFORM });
  return content.subarray(start, start + length);
}

/**
 * Encrypts a message as WeChat does (for tests, `sign` and `convotic replay --to`): `random` must be 16 bytes;
 * a full block of padding is added when the text is already a multiple of 32 bytes.
 */
export function encryptMessage(message: Uint8Array, key: Buffer, appId: string, random: Uint8Array): string {
  if (random.length !== RANDOM_BYTES) throw new RangeError("the random prefix is 16 bytes");
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(message.length);
  const body = Buffer.concat([random, length, message, Buffer.from(appId, "utf8")]);
  const pad = BLOCK - (body.length % BLOCK);
  const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString("base64");
}
