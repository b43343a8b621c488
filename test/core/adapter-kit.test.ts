import * as core from "../../src/core";
import * as kit from "../../src/core/adapter-kit";

/*
 * Adapters import their helpers by module path (a barrel's re-exports are getters, paid per call); adapter-kit binds
 * the engine room's ones as plain values. They must stay the very functions core's index documents.
 */
describe("core/adapter-kit", () => {
  it("binds the same functions as core's index, as plain values", () => {
    expect(kit.hashId).toBe(core.hashId);
    expect(kit.platformTime).toBe(core.platformTime);
    for (const name of Object.keys(kit)) {
      expect(Object.getOwnPropertyDescriptor(kit, name)).toHaveProperty("value");
    }
  });
});
