import { Deadline, DeadlineError, withDeadline, type LateSettlement } from "../../src/delivery";

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

describe("withDeadline", () => {
  it("returns the task's result and clears its timer", async () => {
    const before = activeTimers();
    await expect(withDeadline(async () => 42, 10_000)).resolves.toBe(42);
    expect(activeTimers()).toBe(before);
  });

  it("passes the task's own failure through and clears its timer", async () => {
    const before = activeTimers();
    await expect(withDeadline(async () => Promise.reject(new Error("boom")), 10_000)).rejects.toThrow("boom");
    await expect(
      withDeadline(() => {
        throw new Error("sync boom");
      }, 10_000),
    ).rejects.toThrow("sync boom");
    expect(activeTimers()).toBe(before);
  });

  it("fails with a DeadlineError at the deadline, aborts the task's signal and reports the late result", async () => {
    const late: LateSettlement[] = [];
    let signal: AbortSignal | undefined;
    let finish!: (value: string) => void;
    const started = Date.now();
    const result = withDeadline(
      (given) => {
        signal = given;
        return new Promise<string>((resolve) => (finish = resolve));
      },
      100,
      { label: "slow task", onLate: (settled) => void late.push(settled) },
    );
    await expect(result).rejects.toThrow(DeadlineError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(1000);
    expect(signal?.aborted).toBe(true);
    expect(late).toEqual([]);
    finish("eventually");
    await new Promise((resolve) => setImmediate(resolve));
    expect(late).toEqual([expect.objectContaining({ label: "slow task", outcome: "fulfilled" })]);
  });

  it("reports a late rejection with its error", async () => {
    const late: LateSettlement[] = [];
    let fail!: (error: Error) => void;
    await expect(
      withDeadline(() => new Promise((_resolve, reject) => (fail = reject)), 20, {
        onLate: (settled) => void late.push(settled),
      }),
    ).rejects.toMatchObject({ code: "deadline_exceeded", status: 500 });
    fail(new Error("late boom"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(late[0]).toMatchObject({ outcome: "rejected", error: new Error("late boom") });
  });

  it("never keeps the process alive: the deadline timer is unref'd", () => {
    const deadline = new Deadline(60_000);
    const timer = (deadline as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    deadline.clear();
  });

  it("races against an already expired deadline without waiting", async () => {
    const deadline = new Deadline(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(deadline.expired).toBe(true);
    await expect(deadline.race(new Promise(() => undefined), "x")).rejects.toThrow(DeadlineError);
    deadline.clear();
  });

  it("makes its signal on first read: aborted at the deadline, or already aborted when first read after it", async () => {
    const early = new Deadline(20);
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    const late = new Deadline(20);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(DeadlineError);
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBeInstanceOf(DeadlineError);
    early.clear();
    late.clear();
  });

  it("rejects every pending race when it passes, without anyone reading its signal", async () => {
    const deadline = new Deadline(20);
    const pending = [
      deadline.race(new Promise(() => undefined), "a"),
      deadline.race(new Promise(() => undefined), "b"),
    ];
    await expect(Promise.allSettled(pending)).resolves.toEqual([
      { status: "rejected", reason: expect.objectContaining({ label: "a", code: "deadline_exceeded" }) },
      { status: "rejected", reason: expect.objectContaining({ label: "b", code: "deadline_exceeded" }) },
    ]);
    deadline.clear();
  });
});
