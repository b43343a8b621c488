import { XMLParser } from "fast-xml-parser";
import { messageOf, PayloadError } from "../../core/errors";

/*
 * WeChat pushes XML (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html).
 * XML parsers are where webhook receivers get hurt: external entities (WeChat Pay's 2018 XXE advisory,
 * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=23_5) and entity expansion ("billion laughs";
 * fast-xml-parser's CVE-2026-26278 and its bypass CVE-2026-33036). WeChat's bodies never carry a DOCTYPE, so
 * this reader refuses one outright before any parser runs, keeps `fast-xml-parser`'s entity processing off, and
 * decodes only the five predefined entities and character references itself: nothing in a body can make it
 * bigger than it arrived. Every leaf stays a string (MsgId is a 64-bit integer beyond 2^53).
 */

/** What a WeChat XML body becomes: the children of `<xml>`, by element name, every leaf a string. */
export type XmlRecord = { [name: string]: XmlValue };
export type XmlValue = string | XmlRecord | XmlValue[];

/**
 * Bounds checked on the text before parsing. A push holds a few dozen elements (the largest, a photo-menu event
 * with its picture list, under fifty) nested at most five deep, and its strings in CDATA, so it needs no entity
 * references at all. The parser costs tens of microseconds per element and per reference (measured: 990 empty
 * elements took 87 ms through the handler, 200,000 `&amp;` in 1 MiB took 1.1 s); the caps keep a hostile
 * body's cost at a scan of its bytes and a few milliseconds of parsing (docs/reliability.md).
 */
export const XML_LIMITS = { maxElements: 256, maxReferences: 256, maxDepth: 16 } as const;

const CDATA_OPEN = "<![CDATA[";
const CDATA_CLOSE = "]]>";
const COMMENT_OPEN = "<!--";

/** The ampersands of `text` between `from` and `to`, counted up to `room + 1` (native search, no byte loop). */
function ampersandsIn(text: string, from: number, to: number, room: number): number {
  let count = 0;
  for (let at = text.indexOf("&", from); at !== -1 && at < to; at = text.indexOf("&", at + 1))
    if (++count > room) return count;
  return count;
}

/**
 * Counts the elements and the entity references outside CDATA sections and refuses any markup declaration
 * (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`…). CDATA content is skipped: a user may well type `<!DOCTYPE html>` or
 * `&amp;` into a chat, and that text must not cost their message.
 */
function checkMarkup(text: string, platform: string): void {
  let elements = 0;
  let references = 0;
  let plainFrom = 0;
  const countReferences = (to: number) => {
    references += ampersandsIn(text, plainFrom, to, XML_LIMITS.maxReferences - references);
    if (references > XML_LIMITS.maxReferences)
      throw new PayloadError(
        `body holds more than ${XML_LIMITS.maxReferences} entity references outside CDATA; WeChat sends its text in CDATA`,
        { platform },
      );
  };
  let at = text.indexOf("<");
  while (at !== -1) {
    if (text.startsWith(CDATA_OPEN, at)) {
      const close = text.indexOf(CDATA_CLOSE, at + CDATA_OPEN.length);
      if (close === -1) throw new PayloadError("body is not well-formed XML: an unclosed CDATA section", { platform });
      countReferences(at);
      plainFrom = close + CDATA_CLOSE.length;
      at = text.indexOf("<", plainFrom);
      continue;
    }
    if (text.startsWith(COMMENT_OPEN, at)) {
      const close = text.indexOf("-->", at + COMMENT_OPEN.length);
      at = close === -1 ? -1 : text.indexOf("<", close + 3);
      continue;
    }
    if (text.charCodeAt(at + 1) === 0x21 /* ! */) {
      throw new PayloadError(
        "body holds a markup declaration (DOCTYPE or ENTITY); WeChat never sends one, and entities are not expanded",
        { platform },
      );
    }
    // an opening tag (a closing `</` or a `<?` instruction is not an element)
    const next = text.charCodeAt(at + 1);
    if (next !== 0x2f /* / */ && next !== 0x3f /* ? */ && ++elements > XML_LIMITS.maxElements)
      throw new PayloadError(
        `body holds more than ${XML_LIMITS.maxElements} elements; a WeChat push holds a few dozen`,
        { platform },
      );
    at = text.indexOf("<", at + 1);
  }
  countReferences(text.length);
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
const REFERENCE = /&(lt|gt|amp|apos|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g;

/** The predefined entities and character references of plain (non-CDATA) text; anything else stays as written. */
export function decodeReferences(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(REFERENCE, (whole, name: string) => {
    if (!name.startsWith("#")) return PREDEFINED[name]!;
    const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    const surrogate = code >= 0xd800 && code <= 0xdfff;
    return code > 0 && code <= 0x10ffff && !surrogate ? String.fromCodePoint(code) : whole;
  });
}

const CDATA = "#cdata";
const TEXT = "#text";

const parser = new XMLParser({
  // no entity of any kind is expanded by the parser (see decodeReferences for the predefined ones)
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // every leaf a string: MsgId 24938271650029385 must not become 24938271650029384
  parseTagValue: false,
  // CDATA apart from text, so only text has its references decoded; CDATA is kept as sent (never trimmed)
  cdataPropName: CDATA,
  textNodeName: TEXT,
  trimValues: true,
  maxNestedTags: XML_LIMITS.maxDepth,
});

/**
 * Parses a WeChat XML body into the children of its `<xml>` root. `PayloadError` (400) for text that is not
 * well-formed XML, holds a DOCTYPE, has another root, or goes past `XML_LIMITS`.
 */
export function parseWeChatXml(text: string, platform: string): XmlRecord {
  checkMarkup(text, platform);
  let parsed: unknown;
  try {
    parsed = parser.parse(text, true);
  } catch (cause) {
    throw new PayloadError(`body is not well-formed XML: ${messageOf(cause).slice(0, 200)}`, { platform, cause });
  }
  const root = (parsed as Record<string, unknown>)["xml"];
  const keys = Object.keys(parsed as object);
  if (keys.length !== 1 || root === undefined || Array.isArray(root))
    throw new PayloadError(
      `body is not a WeChat push: the root element must be <xml>, got ${keys.length === 1 && root !== undefined ? "several <xml>" : `<${keys.join("><")}>`}`,
      {
        platform,
      },
    );
  const record = valueOf(root);
  if (typeof record !== "object" || Array.isArray(record))
    throw new PayloadError("body is not a WeChat push: <xml> holds no elements", { platform });
  return record;
}

/** The parser's node as a plain value: leaves as strings (text decoded, CDATA as is), elements as records. */
function valueOf(node: unknown): XmlValue {
  if (typeof node === "string") return decodeReferences(node);
  if (Array.isArray(node)) return node.map(valueOf);
  if (typeof node !== "object" || node === null) return "";
  const entries = Object.entries(node as Record<string, unknown>);
  const children = entries.filter(([name]) => name !== CDATA && name !== TEXT);
  if (children.length === 0) {
    // a leaf: its text, then its CDATA sections (WeChat never mixes the two in one element)
    const leaf = node as Record<string, unknown>;
    const text = leaf[TEXT] === undefined ? "" : decodeReferences(String(leaf[TEXT]));
    const sections = leaf[CDATA] === undefined ? [] : [leaf[CDATA]].flat();
    return text + sections.map(String).join("");
  }
  const out: XmlRecord = {};
  for (const [name, child] of children)
    Object.defineProperty(out, name, { value: valueOf(child), enumerable: true, writable: true, configurable: true });
  return out;
}
