import type { z } from "zod";

const MAX_ISSUES_IN_MESSAGE = 3;

/** One line naming the zod issue paths, e.g. `message.chat.id: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length - parts.length;
  return parts.join("; ") + (more > 0 ? ` (+${more} more)` : "");
}
