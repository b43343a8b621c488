import { readFileSync } from "node:fs";
import { join } from "node:path";
import { twilio } from "../../src/adapters/twilio";
import { FIXTURES_DIR } from "../support/fixtures";
import { TEST_SECRETS } from "../support/secrets";
import { counts, deliver, expectSound } from "./support";

/*
 * The hostile corpus for Twilio's form bodies, through the real handler: each case asserts its outcome and the
 * production bar (never a 5xx, never an untyped exception, valid envelopes, Object.prototype untouched).
 */
const raw = readFileSync(join(FIXTURES_DIR, "twilio", "sms-text.form"), "utf8");
const single = { status: 200, events: 1, unhandled: 0 };
const fields = (count: number) => Array.from({ length: count }, (_, index) => `F${index}=1`).join("&");

const cases: [string, string | Buffer, Partial<ReturnType<typeof counts>>][] = [
  ["an empty body", "", { status: 400, code: "invalid_payload" }],
  ["a form without MessageSid", "hello=world&Body=hi", { status: 400, code: "invalid_payload" }],
  ["JSON text posted as a form", '{"MessageSid":"SM1"}', { status: 400, code: "invalid_payload" }],
  // its From survives, its To does not: the message is reported with the missing field, the request still 200
  [
    "a body truncated inside the MessageSid value",
    raw.slice(0, raw.indexOf("MessageSid=") + 14),
    { status: 200, events: 0, unhandled: 1 },
  ],
  ["a body cut before MessageSid", raw.slice(0, raw.indexOf("MessageSid=")), { status: 400 }],
  ["broken percent-encoding in the Body", raw.replace("Body=Hi", "Body=%ZZ%E0%A4%"), single],
  ["a __proto__ field", `__proto__=polluted&constructor=x&${raw}`, single],
  ["a field named prototype inside constructor", `constructor%5Bprototype%5D%5Bpolluted%5D=yes&${raw}`, single],
  ["MessageSid given twice (the first one counts)", `MessageSid=SMfirst&${raw}`, single],
  ["NumMedia of a billion with one MediaUrl", `${raw}&NumMedia=1000000000&MediaUrl0=https%3A%2F%2Fm.test%2F0`, single],
  ["a Latitude that is not a number", `${raw}&Latitude=NaN&Longitude=Infinity`, single],
  [
    "a status with an unknown value",
    raw.replace("SmsStatus=received", "MessageStatus=exploded"),
    { status: 200, events: 0, unhandled: 1 },
  ],
  [
    "invalid UTF-8 in a value",
    Buffer.concat([Buffer.from(raw), Buffer.from("&X="), Buffer.from([0xc3, 0x28])]),
    { status: 401 },
  ],
  ["100,001 fields (past max_keys)", fields(100_001), { status: 413, code: "too_many_keys" }],
  ["a Body past the 1 MiB limit", `${raw}&Pad=${"x".repeat(1024 * 1024)}`, { status: 413 }],
];

describe("twilio hostile corpus", () => {
  it.each(cases)("%s", async (_name, body, expected) => {
    const outcome = await deliver("twilio", body);
    expectSound(outcome);
    expect(counts(outcome)).toMatchObject(expected);
  });

  it("a JSON body without bodySHA256 is refused: read as a form it would be something Twilio never signed", async () => {
    const body = '{"MessageSid":"SM1","From":"+1555","To":"+1666"}';
    const outcome = await deliver("twilio", body, { "content-type": "application/json" });
    expectSound(outcome);
    expect(counts(outcome)).toMatchObject({ status: 401, code: "invalid_signature" });
  });

  it("a body signed with the token of another account is refused", async () => {
    const other = twilio.sign(Buffer.from(raw), TEST_SECRETS["twilio"]!.wrong as { auth_tokens: string[] }, {
      url: "http://localhost/webhooks/hostile-twilio",
    });
    const outcome = await deliver("twilio", raw, other);
    expect(counts(outcome)).toMatchObject({ status: 401, code: "invalid_signature" });
  });
});
