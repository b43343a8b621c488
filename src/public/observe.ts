/**
 * `convotic/observe`: operating a server. Structured logs (pino), Prometheus metrics (prom-client), health and
 * readiness. Kept out of the root export so that `require("convotic")` loads neither pino nor prom-client.
 * @packageDocumentation
 */
export * from "../observe";

// the development inspector (docs/inspector.md): its saved fixtures use the test kit's golden context
import { createInspectorWith, type Inspector, type InspectorOptions } from "../inspect";
import { defaultContext } from "../testing/fixtures";
export { diagnoseSignature } from "../inspect";
export type {
  CandidateBlock,
  Diagnosis,
  DiagnosisInput,
  Explanation,
  ExplanationKind,
  InspectedRequest,
  Inspector,
  InspectorOptions,
  PublicUrlConfig,
} from "../inspect";

/**
 * A development inspector: pass it to `createWebhookHandler({ inspector })` and mount it (`app.use(inspector.node)`,
 * or try `inspector.fetch(request)` first in a fetch app) to list requests at `/_convotic`, explain failed signatures,
 * and replay, save or re-sign them. Loopback clients only unless `allowRemote`. See docs/inspector.md.
 */
export function createInspector(options: InspectorOptions = {}): Inspector {
  return createInspectorWith({ goldenContext: defaultContext, ...options });
}
