// Waiting in UI tests: the workbench and the trainer answer in their own time.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns something truthy (returned), or fails after `ms` naming `what`. */
export async function until(what, check, ms = 60_000, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await sleep(every);
  }
}
