import type { HandshakeRequest, HandshakeResult, NormalizeContext } from "../../core";
import { defineAdapter } from "../../core/adapter";
import { EnvelopeBuilder } from "../../core/builder";
import { PayloadError } from "../../core/errors";
import { withQuery } from "../../core/sign-request";
import { authenticate, signedWithAnyToken, signPush, WeChatSecrets } from "./auth";
import { wechatDrift } from "./drift";
import { normalizeWeChat } from "./normalize";
import { WeChatBody } from "./schema";
import { parseWeChatXml } from "./xml";

export { WeChatSecrets } from "./auth";
export { signPush, type PushSignOptions, type SignedPush } from "./auth";

const PLATFORM = "wechat";
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The GET WeChat sends when the server URL is saved in the console: `signature` over the sorted token,
 * `timestamp` and `nonce`; the answer is `echostr`, raw (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html).
 */
function handshake(request: HandshakeRequest, secrets: WeChatSecrets, context: NormalizeContext): HandshakeResult {
  const { query } = request;
  const signature = query.get("signature");
  const timestamp = query.get("timestamp") ?? "";
  const nonce = query.get("nonce") ?? "";
  const echostr = query.get("echostr");
  const valid =
    echostr !== null &&
    timestamp !== "" &&
    nonce !== "" &&
    signedWithAnyToken(secrets.tokens, signature, [timestamp, nonce]);
  if (!valid) return { status: 403, body: "verification failed", events: [] };
  const b = new EnvelopeBuilder(PLATFORM, context);
  b.event("platform.webhook.verified", {
    key: `handshake:${timestamp}:${nonce}`,
    timestamp,
    data: { method: "challenge" },
    metadata: { raw_platform_event_id: `echostr:${echostr!.slice(0, 64)}` },
  });
  return { status: 200, body: echostr!, events: b.result().events };
}

/** WeChat Official Account message pushes, plain and safe mode. See docs/adapters/wechat.md. */
export const wechat = defineAdapter({
  platform: PLATFORM,
  payload: WeChatBody,
  secrets: WeChatSecrets,
  emits: [
    "messaging.message.received",
    "messaging.message.delivered",
    "messaging.message.failed",
    "messaging.follow",
    "messaging.unfollow",
    "messaging.conversation.created",
    "messaging.postback",
    "platform.webhook.verified",
  ],
  /**
   * `success`: WeChat then neither retries nor tells the user the account cannot answer; the normaliser sends no
   * passive reply (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html)
   */
  acknowledgement: { status: 200, contentType: "text/plain; charset=utf-8", body: "success" },
  /** the XML content type WeChat sends is not documented: the XML types, and text/plain, are all read as XML */
  contentTypes: ["text/xml", "application/xml", "text/plain"],
  parseBody(rawBody) {
    let text: string;
    try {
      text = utf8.decode(rawBody);
    } catch (cause) {
      throw new PayloadError("body is not valid UTF-8", { platform: PLATFORM, cause });
    }
    return parseWeChatXml(text, PLATFORM);
  },
  verify(request, secrets) {
    return authenticate(request.query, request.rawBody, secrets);
  },
  /** WeChat sends no signature header: its signatures are in the query (see `signRequest`) */
  sign() {
    return {};
  },
  signRequest(rawBody, secrets, options) {
    const push = signPush(rawBody, secrets);
    return { headers: {}, url: withQuery(options?.url, push.query), rawBody: push.body };
  },
  handshake,
  normalize: normalizeWeChat,
  drift: wechatDrift,
});
