// Whose code runs now, as a worker's exit handler asks it (src/worker/crash-owner.ts), run on this thread: a chunk's
// code is tagged with the chunk while it is tracked; on Node 20 and 22 (contexts on async hooks) an untracked chunk,
// or a chunk after `untrack()`, leaves its code untagged, so that its promises pay nothing for the hook; where
// AsyncLocalStorage rides on AsyncContextFrame every chunk is tracked.
import { describe, expect, it } from 'vitest';
import { cheapContexts, contextFramesIn, ownerNow, runOwned, type OwnedChunk } from '../src/worker/crash-owner.ts';

const chunk = (slot: number): OwnedChunk => ({ ints: new Int32Array(new SharedArrayBuffer(64)), slot });

/** The owner seen inside a callback of an immediate set up now (a macrotask, like a timer a task leaves behind). */
function ownerLater(): Promise<OwnedChunk | undefined> {
  return new Promise((resolve) => setImmediate(() => resolve(ownerNow())));
}

describe('contextFramesIn', () => {
  it('is true from Node 24 on, and on Node 22 with the flag; false when turned off', () => {
    expect(contextFramesIn('20.19.0', [])).toBe(false);
    expect(contextFramesIn('22.12.0', [])).toBe(false);
    expect(contextFramesIn('22.12.0', ['--experimental-async-context-frame'])).toBe(true);
    expect(contextFramesIn('24.0.0', [])).toBe(true);
    expect(contextFramesIn('24.11.1', ['--no-async-context-frame'])).toBe(false);
  });

  it('matches this Node (run without context-frame flags: on from Node 24)', () => {
    expect(cheapContexts).toBe(Number(process.versions.node.split('.')[0]) >= 24);
  });
});

describe('runOwned', () => {
  it('tags what a tracked chunk sets up, in its synchronous part and after an await', async () => {
    const a = chunk(1);
    const [first, second] = await runOwned(a, true, async () => {
      const early = ownerLater();
      await Promise.resolve();
      const late = ownerLater();
      return [await early, await late];
    });
    expect(first).toBe(a);
    expect(second).toBe(a);
    // Outside any chunk: nobody's code.
    expect(await ownerLater()).toBeUndefined();
  });

  it("keeps a tag after the chunk ended (a timer it left names it when it fires)", async () => {
    const a = chunk(2);
    let left: Promise<OwnedChunk | undefined> | undefined;
    await runOwned(a, true, async () => {
      left = new Promise((resolve) => setTimeout(() => resolve(ownerNow()), 5));
    });
    const b = chunk(3);
    // Another chunk runs, untracked, when A's timer fires: the timer still names A.
    const seen = await runOwned(b, false, async () => left!);
    expect(seen).toBe(a);
  });

  it('leaves an untracked chunk untagged on Node 20 and 22 (tagged where contexts are cheap)', async () => {
    const a = chunk(4);
    const seen = await runOwned(a, false, async () => ownerLater());
    expect(seen).toBe(cheapContexts ? a : undefined);
  });

  it('stops tagging at untrack(): what was set up before keeps its tag', async () => {
    const a = chunk(5);
    const [before, after] = await runOwned(a, true, async (untrack) => {
      const early = ownerLater();
      untrack();
      const late = ownerLater();
      return [await early, await late];
    });
    expect(before).toBe(a);
    expect(after).toBe(cheapContexts ? a : undefined);
  });

  it('turns the hook off when no tracked chunk runs: code set up later by a tagged timer is not tagged (Node 20, 22)', async () => {
    const a = chunk(6);
    let nested: Promise<OwnedChunk | undefined> | undefined;
    const fired = new Promise<void>((resolve) => {
      void runOwned(a, true, async () => {
        setTimeout(() => {
          nested = ownerLater();
          resolve();
        }, 5);
      });
    });
    await fired;
    expect(await nested!).toBe(cheapContexts ? a : undefined);
  });

  it('settles with what the work settles with, and an error passes through', async () => {
    await expect(runOwned(chunk(7), true, async () => 42)).resolves.toBe(42);
    await expect(
      runOwned(chunk(8), true, async () => {
        throw new RangeError('no');
      }),
    ).rejects.toThrow(RangeError);
    // A tracked chunk that threw left the hook as it found it: an untracked chunk is still untagged.
    const c = chunk(9);
    expect(await runOwned(c, false, async () => ownerLater())).toBe(cheapContexts ? c : undefined);
  });
});
