/*
 * The engine room's helpers an adapter calls per item, for adapters, which may not import the engine room. Bound
 * as plain values on purpose: tsc compiles a re-export (`export { x } from`) to a getter on the exports object, so
 * each call through one paid a property load plus a getter call, where a value is one fast load.
 */
import { hashId as engineHashId } from "./engine/ids";
import { platformTime as enginePlatformTime } from "./engine/time";

/** The same function as `hashId` of core's index (engine/ids.ts). */
export const hashId: typeof engineHashId = engineHashId;
/** The same function as `platformTime` of core's index (engine/time.ts). */
export const platformTime: typeof enginePlatformTime = enginePlatformTime;
